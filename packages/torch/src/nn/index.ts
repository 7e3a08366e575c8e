/** `torch.nn`: modules, layers, initialisers and the functional API. */
export * as functional from '../functional.js';
export * as init from './init.js';
export { Module, type AnyModule, type LoadStateDictResult, type ToTarget } from './module.js';
export { Linear, Identity, Flatten } from './linear.js';
export { Conv2d, ConvTranspose2d, type Conv2dOptions } from './conv.js';
export { BatchNorm1d, BatchNorm2d, SyncBatchNorm, LayerNorm, GroupNorm, type BatchNormOptions } from './norm.js';
export { ReLU, GELU, SiLU, Tanh, Sigmoid, PixelShuffle } from './activation.js';
export { Dropout, DropPath, dropPath } from './dropout.js';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d } from './pooling.js';
export { Sequential, ModuleList, ModuleDict } from './container.js';
export { Embedding } from './embedding.js';
export { DistributedDataParallel, type DDPOptions } from './parallel.js';
export { MultiheadAttention, type MultiheadAttentionOptions, type AttentionCallOptions } from './attention.js';
