/** Every algorithm; importing this registers them in `ALGORITHMS`. */
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
export * from './simmim.js';
