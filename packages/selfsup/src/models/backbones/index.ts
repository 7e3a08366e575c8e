/** Every backbone family (registered by the built-in manifest, `src/builtins.ts`). */
export * from './base.js';
export * from './load.js';
export * from './maskfeat-vit.js';
export * from './mocov3-vit.js';
export * from './mff-vit.js';
export * from './hivit.js';
export * from './itpn-hivit.js';
export * from './mixmim.js';
export * from './resnet.js';
export * from './sparse-modules.js';
export * from './sparse-resnet.js';
export * from './transformers.js';
export * from './milan-vit.js';
export * from './beit-vit.js';
export * from './cae-vit.js';
