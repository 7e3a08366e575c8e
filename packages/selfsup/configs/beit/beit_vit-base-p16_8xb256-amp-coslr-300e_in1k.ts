/**
 * MMSelfSup's ImageNet-1k recipe for BEiT v1 (configs/selfsup/beit/beit_vit-base-p16_8xb256-amp-coslr-300e_in1k.py;
 * batch 256 per process, launch with --nproc-per-node 8): AdamW at 1.5e-3, betas (0.9, 0.999), weight
 * decay 0.05 except norms and MMSelfSup's custom keys ('bias', which also names the relative position
 * bias tables, 'gamma', 'pos_embed', 'cls_token'), gradients clipped at norm 3, 10 warm-up epochs
 * from 1e-4 then cosine to 1e-5. Needs the DALL-E encoder at `model.targetGenerator.tokenizerPath`.
 */
import { defineConfig, epochs, warmupCosine } from 'selfsup/config';

export default defineConfig({
  _base_: ['../_base_/models/beit_vit-base-p16.ts', '../_base_/datasets/imagenet_beit.ts', '../_base_/default_runtime.ts'],
  optimWrapper: {
    type: 'AmpOptimWrapper',
    optimizer: { type: 'AdamW', lr: 1.5e-3, betas: [0.9, 0.999], weightDecay: 0.05 },
    clipGrad: { maxNorm: 3 },
    paramwiseCfg: {
      normDecayMult: 0,
      customKeys: {
        bias: { decayMult: 0 },
        gamma: { decayMult: 0 },
        pos_embed: { decayMult: 0 },
        cls_token: { decayMult: 0 },
      },
    },
  },
  paramScheduler: warmupCosine(10, 300, { startFactor: 1e-4, etaMin: 1e-5 }),
  trainCfg: epochs(300),
  defaultHooks: { logger: { interval: 100 }, checkpoint: { interval: 1, maxKeepCkpts: 3 } },
});
