/**
 * The transformer backbones in one import: Vision Transformer and Swin Transformer, with
 * `registerTransformerBackbones()` to (re)register their builders in `BACKBONES` (importing
 * `vit.ts` / `swin.ts` already registers them; registering twice is a no-op).
 */
import { registerSwinBackbones } from './swin.js';
import { registerViTBackbones } from './vit.js';

export * from './pos-embed.js';
export * from './patch-embed.js';
export * from './vit.js';
export * from './swin.js';

/** Registers VisionTransformer, vit-*, MAEViT, SwinTransformer, SimMIMSwinTransformer and swin-*. */
export function registerTransformerBackbones(): void {
  registerViTBackbones();
  registerSwinBackbones();
}
