/** Every neck module (classes, schemas and their `…Part`s); importing it registers nothing (see `src/builtins.ts`). */
export * from './densecl-neck.js';
export * from './dino-neck.js';
export * from './linear-neck.js';
export * from './mae-pretrain-decoder.js';
export * from './mocov2-neck.js';
export * from './neck.js';
export * from './nonlinear-neck.js';
export * from './simmim-linear-decoder.js';
export * from './spark-light-decoder.js';
export * from './norm.js';
export * from './swav-neck.js';
export * from './milan-pretrain-decoder.js';
export * from './beitv2-neck.js';
export * from './cae-neck.js';
export * from './mixmim-pretrain-decoder.js';
export * from './odc-neck.js';
