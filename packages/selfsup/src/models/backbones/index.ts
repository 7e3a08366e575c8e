/** Every backbone family (registered by the built-in manifest, `src/builtins.ts`). */
export * from './base.js';
export * from './load.js';
export * from './maskfeat-vit.js';
export * from './mff-vit.js';
export * from './mixmim.js';
export * from './resnet.js';
export * from './transformers.js';
