/** Every head module (classes, schemas and their `…Part`s); importing it registers nothing (see `src/builtins.ts`). */
export * from './contrastive-head.js';
export * from './dino-head.js';
export * from './latent-cross-correlation-head.js';
export * from './latent-predict-head.js';
export * from './mae-pretrain-head.js';
export * from './maskfeat-head.js';
export * from './mocov3-head.js';
export * from './simmim-head.js';
export * from './spark-head.js';
export * from './swav-head.js';
export * from './vicreg-head.js';
export * from './milan-head.js';
export * from './beitv1-head.js';
export * from './beitv2-head.js';
export * from './cae-head.js';
export * from './mixmim-head.js';
export * from './cls-head.js';
