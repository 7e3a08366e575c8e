/**
 * MMSelfSup's EVA recipe (configs/selfsup/eva/eva-mae-style_vit-base-p16_16xb256-coslr-400e_in1k.py):
 * the 400-epoch MAE ViT-B/16 recipe (AdamW 1.5e-4 × 4096/256, 40 warm-up epochs, mixed precision —
 * its base's AmpOptimWrapper, whatever the name says) with the decoder predicting CLIP ViT-B/16's
 * 512-d features, 2 − 2·cos on the removed patches, 16 processes × 256. The teacher's weights are
 * read from `tokenizerPath` (docs/algorithms.md, "CLIP teacher"; MMSelfSup downloads
 * clip_vit_base_16.pth.tar, selfsup downloads nothing): set it with
 * `--cfg-options model.targetGenerator.tokenizerPath=…`.
 */
import { defineConfig, maeModel } from 'selfsup/config';

const mae = maeModel({ arch: 'base', patchSize: 16 });

export default defineConfig({
  _base_: '../mae/mae_vit-base-p16_8xb512-amp-coslr-400e_in1k.ts',
  model: {
    _delete_: true,
    type: 'EVA',
    backbone: mae.backbone,
    neck: { ...mae.neck, predictFeatureDim: 512 },
    head: { type: 'MILANPretrainHead', loss: { type: 'CosineSimilarityLoss', shiftFactor: 2, scaleFactor: 2 } },
    targetGenerator: { type: 'CLIPGenerator', tokenizerPath: 'checkpoints/clip_vit_base_16.pth' },
  },
  trainDataloader: { batchSize: 256 },
});
