/** Every heads; importing this registers them in the registry. */
export * from './contrastive-head.js';
export * from './dino-head.js';
export * from './latent-cross-correlation-head.js';
export * from './latent-predict-head.js';
export * from './mocov3-head.js';
export * from './swav-head.js';
export * from './vicreg-head.js';
