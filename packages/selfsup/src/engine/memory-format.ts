/**
 * The memory format a run trains in (config `memoryFormat`). oneDNN's CPU convolutions run faster
 * on channels_last (NHWC) activations, and the batch-norm and element-wise kernels have
 * channels_last paths, so a ResNet step is ~1.2–1.3× faster on it (bench/train_e2e.mjs);
 * transformers keep their tokens in (N, L, C) and gain nothing.
 */
import type { Tensor } from '@selfsup/torch';
import type { Algorithm } from '../models/algorithms/base.js';
import { ResNet } from '../models/backbones/resnet.js';

export type MemoryFormatOption = 'auto' | 'channelsLast' | 'contiguous';

/** Whether to train in channels_last: asked for, or `auto` with a ResNet-family backbone on the CPU. */
export function useChannelsLast(format: MemoryFormatOption, model: Algorithm, device: string): boolean {
  if (format !== 'auto') return format === 'channelsLast';
  return device === 'cpu' && model.backbone instanceof ResNet;
}

/** A 4-D `(N, C, H, W)` batch in channels_last strides; other tensors as they are. */
export const toChannelsLast = (t: Tensor): Tensor => (t.dim() === 4 ? t.contiguous('channelsLast') : t);
