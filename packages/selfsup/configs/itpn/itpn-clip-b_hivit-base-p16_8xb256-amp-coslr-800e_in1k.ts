/**
 * mmpretrain's iTPN CLIP-target recipe at 800 epochs
 * (configs/itpn/itpn-clip-b_hivit-base-p16_8xb256-amp-coslr-800e_in1k.py): the 300-epoch recipe
 * with drop path 0.1 in the HiViT-B, AdamW betas (0.9, 0.999) and the cosine (10 warm-up epochs
 * from 1e-4, then to 1e-5) ending at 800.
 *
 * Kept from the 300-epoch recipe, unlike the 800-epoch file as mmpretrain ships it: the target is
 * `CLIPGenerator` with −cos (`CosineSimilarityLoss`). That file names `ClipTargeter`, a type from
 * the iTPN authors' own code base that mmpretrain does not register (it has `CLIPGenerator`), and a
 * `CrossEntropyLoss` without soft labels, which expects class indices, not the teacher's features.
 */
import { defineConfig, epochs, warmupCosine } from 'selfsup/config';

export default defineConfig({
  _base_: './itpn-clip-b_hivit-base-p16_8xb256-amp-coslr-300e_in1k.ts',
  model: { backbone: { type: 'iTPNHiViT', dropPathRate: 0.1 } },
  optimWrapper: { optimizer: { betas: [0.9, 0.999] } },
  paramScheduler: warmupCosine(10, 800, { startFactor: 1e-4, etaMin: 1e-5 }),
  trainCfg: epochs(800),
});
