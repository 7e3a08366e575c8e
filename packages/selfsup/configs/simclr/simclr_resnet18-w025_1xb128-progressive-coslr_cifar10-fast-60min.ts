/**
 * SimCLR on CIFAR-10 for a one-hour CPU budget (issue 18's quality per minute): the CPU-sized
 * SimCLR recipe (¼-width ResNet-18 with the CIFAR stem, 512-d → 128-d projector, NT-Xent at
 * T = 0.2, SGD 0.3) at batch 128, which short budgets favour (twice the updates per image), with
 * progressive resizing: views at 16 px first, ramped to 32 px by 85 % of training, which buys
 * about a third more epochs in the same time. Written for
 * `selfsup train <this file> --fit-minutes 60`, which fits the warm-up and cosine decay into the
 * hour as measured on this machine (the 100-epoch schedule it fits is not meant to run unfitted
 * on a CPU). Results and the levers tried: docs/benchmarks.md.
 */
import { defineConfig } from 'selfsup/config';

export default defineConfig({
  _base_: './simclr_resnet18-w025_1xb256-coslr-100e_cifar10.ts',
  trainDataloader: { batchSize: 128 },
  customHooks: [{ type: 'ProgressiveResizeHook', startSize: 16, endSize: 32 }],
});
