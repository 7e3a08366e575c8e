/** Every backbone family; importing this registers them all in `BACKBONES`. */
export * from './base.js';
export * from './load.js';
export * from './resnet.js';
export * from './transformers.js';
