/** The transformer backbones in one import: Vision Transformer and Swin Transformer. */
export * from './pos-embed.js';
export * from './patch-embed.js';
export * from './vit.js';
export * from './swin.js';
