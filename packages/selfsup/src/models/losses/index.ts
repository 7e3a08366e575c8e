/** Every loss module (classes, loss functions, schemas and their `…Part`s); importing it registers nothing (see `src/builtins.ts`). */
export * from './cosine-similarity.js';
export * from './cross-correlation.js';
export * from './dino.js';
export * from './info-nce.js';
export * from './ntxent.js';
export * from './pixel-reconstruction.js';
export * from './swav.js';
export * from './vicreg.js';
export * from './beit-loss.js';
export * from './cae-loss.js';
export * from './cross-entropy.js';
