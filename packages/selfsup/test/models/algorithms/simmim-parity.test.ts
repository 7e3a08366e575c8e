/**
 * SimMIM against a PyTorch re-statement of MMSelfSup 1.x's SimMIM (Xie et al. 2022): the backbone
 * replaces masked patch embeddings by its mask token (the Swin of `swin-reference.ts`, the ViT of
 * `vit-reference.ts` with its patch tokens as a map), `SimMIMLinearDecoder` (1×1 conv to s²·3
 * channels, PixelShuffle(s)) reconstructs the image, and `SimMIMHead` repeats the (N, h, w) mask
 * patch-size times along both axes and takes Σ |rec − img|·mask / Σ mask / 3 against the
 * preprocessed view. Masks come from the real SimMIMMaskGenerator. float64; see parity-reference.ts.
 */
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, SimMIM, type TrainProgress } from '../../../src/index.js';
import { SimMIMMaskGenerator } from '../../../src/data/transforms/masks.js';
import { maskBatch } from '../../../src/data/transforms/multi-view.js';
import { Rng } from '../../../src/data/transforms/rng.js';
import { SWIN_REF } from '../backbones/swin-reference.js';
import { VIT_REF } from '../backbones/vit-reference.js';
import {
  checkGrads,
  checkLoss,
  checkState,
  type PyResult,
  perturb,
  runParity,
  seededViews,
  summary,
  toFloat64,
} from './parity-reference.js';

/** The decoder, the head's mask upsampling and MMSelfSup's PixelReconstructionLoss (L1, channel 3), restated. */
const PY_SIMMIM = `
class SimMIMLinearDecoder(nn.Module):
    def __init__(self, cin, stride):
        super().__init__()
        self.decoder = nn.Sequential(nn.Conv2d(cin, stride ** 2 * 3, 1), nn.PixelShuffle(stride))
    def forward(self, x):
        return self.decoder(x)

def simmim_head(rec, img, mask, patch):
    m = mask.repeat_interleave(patch, 1).repeat_interleave(patch, 2).unsqueeze(1).contiguous().to(rec.dtype)
    loss = F.l1_loss(rec, img, reduction='none')
    return (loss * m).sum() / m.sum() / 3

class SimMIM(nn.Module):
    def __init__(self, backbone, neck, patch):
        super().__init__()
        self.backbone, self.neck, self.patch = backbone, neck, patch
    def forward(self, img, mask, head_mask=None):
        rec = self.neck(self.backbone(img, mask)[0])
        return simmim_head(rec, img, mask if head_mask is None else head_mask, self.patch)

def run(model):
    model = build(model)
    img, mask = VIEWS[0], MASKS[0]
    loss = model(img, mask)
    # A row/column mix-up of the mask in the head only: must not match.
    with torch.no_grad():
        perturbed = model(img, mask, mask.transpose(1, 2)).item()
    return finish(model, loss, {'perturbed': perturbed, 'masked': int(mask.sum())})
`;

const PROGRESS: TrainProgress = { epoch: 0, iter: 0, maxEpochs: 1, maxIters: 10 };
const HEAD = (patchSize: number) => ({
  type: 'SimMIMHead' as const,
  patchSize,
  loss: { type: 'PixelReconstructionLoss' as const, criterion: 'L1' as const, channel: 3 },
});

/** Four SimMIM masks of the real pipeline step over a 32-px image. */
function masks(maskPatchSize: number, modelPatchSize: number): torch.Tensor[] {
  const gen = new SimMIMMaskGenerator({ inputSize: 32, maskPatchSize, modelPatchSize, maskRatio: 0.6 });
  return [maskBatch([0, 1, 2, 3].map((i) => gen.generate(Rng.forSample(5, 0, i))))];
}

type Result = PyResult & { masked: number };

function parity(cfg: Parameters<typeof ALGORITHMS.buildAs>[0], python: string, m: torch.Tensor[]) {
  torch.manualSeed(0);
  const algo = toFloat64(ALGORITHMS.buildAs(cfg, 'model', SimMIM, 'test'));
  // Away from the initialisation (LayerNorm 1/0, zero biases, a small mask token).
  perturb(algo, 0.05, 1);
  return runParity<Result>(algo, seededViews([32]), PROGRESS, `${PY_SIMMIM}\n${python}\nOUT = run(MODEL)`, {}, m);
}

// Swin: embed 8, two stages (8×8 then 4×4 patches, window 2: shifted windows in both), patch 4,
// total stride 8; masks of 8-px blocks over 4-px patches.
const SWIN = parity(
  {
    type: 'SimMIM',
    backbone: {
      type: 'SimMIMSwinTransformer',
      embedDim: 8,
      depths: [2, 2],
      numHeads: [1, 2],
      windowSize: 2,
      imgSize: 32,
      patchSize: 4,
      dropPathRate: 0,
    },
    neck: { type: 'SimMIMLinearDecoder', inChannels: 16, encoderStride: 8 },
    head: HEAD(4),
  },
  `${SWIN_REF}\nMODEL = SimMIM(Swin(8, [2, 2], [1, 2], 2, 4, [1]), SimMIMLinearDecoder(16, 8), 4)`,
  masks(8, 4),
);

// ViT: embed 16, depth 2, patch 8 (a 4×4 map, stride 8), layer scale 0.1; masks of 16-px blocks.
const VIT = parity(
  {
    type: 'SimMIM',
    backbone: { type: 'SimMIMViT', embedDim: 16, depth: 2, numHeads: 2, patchSize: 8, imgSize: 32, dropPathRate: 0 },
    neck: { type: 'SimMIMLinearDecoder', inChannels: 16, encoderStride: 8 },
    head: HEAD(8),
  },
  `${VIT_REF}
class SimMIMViT(ViT):
    def __init__(self, *args):
        super().__init__(*args)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, self.cls_token.shape[-1]))
    def forward(self, x, mask):
        t = self.forward_features(x, mask)[:, 1:]
        n, l, c = t.shape
        g = int(round(l ** 0.5))
        return [t.transpose(1, 2).reshape(n, c, g, g)]
MODEL = SimMIM(SimMIMViT(16, 2, 2, 8, 32, 0.1), SimMIMLinearDecoder(16, 8), 8)`,
  masks(16, 8),
);

test('SimMIM (Swin): the loss equals MMSelfSup’s masked L1 (÷ 3) on the mask-token Swin + linear decoder', (t) => {
  checkLoss(SWIN);
  t.diagnostic(`loss ${SWIN.loss}, ${SWIN.ref.masked} of 256 patch entries masked`);
});

test('SimMIM (Swin): the gradient of every trainable parameter (mask token included) equals PyTorch’s', (t) => {
  checkGrads(SWIN);
  checkState(SWIN);
  t.diagnostic(summary(SWIN));
});

test('SimMIM (ViT): the loss equals MMSelfSup’s masked L1 on the mask-token ViT’s patch-token map', (t) => {
  checkLoss(VIT);
  t.diagnostic(`loss ${VIT.loss}, ${VIT.ref.masked} of 64 patch entries masked`);
});

test('SimMIM (ViT): the gradient of every trainable parameter equals PyTorch’s', (t) => {
  checkGrads(VIT);
  checkState(VIT);
  t.diagnostic(summary(VIT));
});
