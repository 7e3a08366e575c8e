/** selfsup: self-supervised learning for images, on libtorch. */
export * from './data/datasets/idx.js';
export * from './models/backbones/index.js';
export { BACKBONES, Registry, type TypedConfig, type Builder } from './registry.js';
