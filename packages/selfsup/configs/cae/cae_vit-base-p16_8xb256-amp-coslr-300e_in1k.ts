/**
 * MMSelfSup 1.x's ImageNet-1k recipe for CAE (configs/selfsup/cae/cae_vit-base-p16_8xb256-amp-coslr-300e_in1k.py;
 * batch 256 per process, launch with --nproc-per-node 8): AdamW at 1.5e-3, betas (0.9, 0.999) and
 * PyTorch's default weight decay 0.01 (the config names none), none on biases, norms and every other
 * 1-D parameter (`bias_decay_mult`, `norm_decay_mult`, `flat_decay_mult` 0), gradients clipped at norm
 * 3, mixed precision, 10 warm-up epochs from 1e-4 then cosine to 1e-5. Its lr is written for a total
 * batch of 2048 (`auto_scale_lr`): `--auto-scale-lr` rescales it. Needs the DALL-E encoder at
 * `model.targetGenerator.tokenizerPath`.
 */
import { defineConfig, epochs, warmupCosine } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/models/cae_vit-base-p16.ts', '../_base_/datasets/imagenet_cae.ts', '../_base_/default_runtime.ts'],
  autoScaleLr: { baseBatchSize: 2048 },
  optimWrapper: {
    type: 'AmpOptimWrapper',
    optimizer: { type: 'AdamW', lr: 1.5e-3, betas: [0.9, 0.999], weightDecay: 0.01 },
    clipGrad: { maxNorm: 3 },
    paramwiseCfg: { biasDecayMult: 0, normDecayMult: 0, flatDecayMult: 0 },
  },
  paramScheduler: warmupCosine(10, 300, { startFactor: 1e-4, etaMin: 1e-5 }),
  trainCfg: epochs(300),
  defaultHooks: { checkpoint: { interval: 10, maxKeepCkpts: 3 } },
});
