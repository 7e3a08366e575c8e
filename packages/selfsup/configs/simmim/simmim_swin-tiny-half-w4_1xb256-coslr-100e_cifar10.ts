/**
 * SimMIM on CIFAR-10, CPU-sized (batch 256 on one process): the half-width three-stage Swin-T of
 * `_base_/models/simmim_swin-tiny-half_cifar10.ts`, and the ImageNet recipe's optimisation at this
 * batch size (AdamW 2e-4 per 512 images, decay 0.05 except norms, biases and position tables, clip 5,
 * 10 warm-up epochs from 1e-6 per 2e-4, cosine to 1e-5 per 512 images) over 100 epochs, best
 * checkpoint by online kNN.
 */
import { defineConfig, noDecay, warmupCosine } from 'selfsup/config';

const BATCH = 256;
export default defineConfig({
  _base_: [
    '../_base_/models/simmim_swin-tiny-half_cifar10.ts',
    '../_base_/datasets/cifar10_simmim.ts',
    '../_base_/default_runtime.ts',
    '../_base_/schedules/cifar10_coslr-100e.ts',
  ],
  optimWrapper: {
    optimizer: { type: 'AdamW', lr: (2e-4 * BATCH) / 512, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.05 },
    clipGrad: { maxNorm: 5 },
    paramwiseCfg: noDecay(['norm', 'bias', 'absolute_pos_embed', 'relative_position_bias_table']),
  },
  paramScheduler: warmupCosine(10, 100, { startFactor: 1e-6 / 2e-4, etaMin: (1e-5 * BATCH) / 512 }),
});
