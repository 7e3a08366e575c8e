/**
 * MMSelfSup's ImageNet-1k recipe for SimCLR (configs/selfsup/simclr/simclr_resnet50_16xb256-coslr-200e_in1k.py;
 * the batch size is per process: launch with --nproc-per-node 16), with the optimizer set to take
 * MMSelfSup's steps in 16 processes although selfsup's gradient is 16 × MMSelfSup's.
 *
 * MMSelfSup computes the loss of the whole 16 × 256 batch on every process, and its GatherLayer
 * passes back only the local slice of the gradient, so after DDP averages over the 16 processes its
 * gradient is 1/16 of the global loss's. selfsup's all-gather passes the whole gradient back: the
 * true gradient of the global loss, g = 16 · g_mm (docs/algorithms.md). How LARS turns that into a step:
 * - a layer LARS adapts moves by lr · η‖w‖ (g + wd·w) / (‖g‖ + wd‖w‖). With g = 16 · g_mm that is
 *   lr · η‖w‖ (g_mm + wd/16 · w) / (‖g_mm‖ + wd/16 · ‖w‖): MMSelfSup's step when wd = 16 × 1e-6 and
 *   lr is MMSelfSup's 4.8 (dividing lr by 16 would shrink these steps 16-fold);
 * - the parameters LARS leaves alone (bn, bias, downsample.1: no decay, plain momentum SGD) move by
 *   lr · g = 16 · lr · g_mm: lrMult 1/16 gives MMSelfSup's 4.8 · g_mm.
 */
import { defineConfig, epochs, lars, larsExclude, warmupCosine } from 'selfsup/config';

/** Processes the recipe runs on (16xb256), the factor between selfsup's gradient and MMSelfSup's. */
const processes = 16;

export default defineConfig({
  _base_: ['../_base_/models/simclr.ts', '../_base_/datasets/imagenet_simclr.ts', '../_base_/default_runtime.ts'],
  trainDataloader: { batchSize: 256 },
  optimWrapper: {
    optimizer: lars(4.8, processes * 1e-6),
    paramwiseCfg: larsExclude(['bn', 'bias', 'downsample.1'], { lrMult: 1 / processes }),
  },
  paramScheduler: warmupCosine(10, 200, { perEpoch: true }),
  trainCfg: epochs(200),
  syncBn: true,
});
