/**
 * MMSelfSup's MILAN recipe (configs/selfsup/milan/milan_vit-base-p16_16xb256-amp-coslr-400e_in1k.py):
 * the 400-epoch MAE ViT-B/16 recipe (AdamW 1.5e-4 × 4096/256, 40 warm-up epochs, mixed precision)
 * with MILAN's parts — the MILANViT masking by CLIP ViT-B/16's attention, the prompting decoder
 * predicting its 512-d features, 2 − 2·cos over all tokens — 16 processes × 256. The teacher's
 * weights are read from `tokenizerPath` (docs/algorithms.md, "CLIP teacher"; nothing is downloaded):
 * set it with `--cfg-options model.targetGenerator.tokenizerPath=…`.
 */
import { defineConfig, maeModel } from 'selfsup/config';

const mae = maeModel({ arch: 'base', patchSize: 16 });

export default defineConfig({
  _base_: '../mae/mae_vit-base-p16_8xb512-amp-coslr-400e_in1k.ts',
  model: {
    _delete_: true,
    type: 'MILAN',
    backbone: { ...mae.backbone, type: 'MILANViT' },
    neck: { ...mae.neck, type: 'MILANPretrainDecoder', predictFeatureDim: 512 },
    head: { type: 'MILANPretrainHead', loss: { type: 'CosineSimilarityLoss', shiftFactor: 2, scaleFactor: 2 } },
    targetGenerator: { type: 'CLIPGenerator', tokenizerPath: 'checkpoints/clip_vit_base_16.pth' },
  },
  trainDataloader: { batchSize: 256 },
});
