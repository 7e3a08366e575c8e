/** Every losses; importing this registers them in the registry. */
export * from './cosine-similarity.js';
export * from './cross-correlation.js';
export * from './dino.js';
export * from './info-nce.js';
export * from './ntxent.js';
export * from './swav.js';
export * from './vicreg.js';
