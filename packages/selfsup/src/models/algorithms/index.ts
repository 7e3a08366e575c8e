/** Every algorithm (classes, schemas and their `…Part`s); importing it registers nothing (see `src/builtins.ts`). */
export * from './base.js';
export * from './simclr.js';
export * from './moco.js';
export * from './mocov3.js';
export * from './densecl.js';
export * from './byol.js';
export * from './simsiam.js';
export * from './barlowtwins.js';
export * from './swav.js';
export * from './vicreg.js';
export * from './dino.js';
export * from './mae.js';
export * from './pixmim.js';
export * from './mff.js';
export * from './reconstruction.js';
export * from './maskfeat.js';
export * from './simmim.js';
