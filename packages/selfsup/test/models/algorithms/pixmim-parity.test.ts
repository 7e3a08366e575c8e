/**
 * PixMIM against MAE's PyTorch reference (mae-reference.ts) with MMSelfSup's LowFreqTargetGenerator
 * restated in PyTorch as the target: loss and every gradient, float64 (see parity-reference.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, PixMIM, type TrainProgress } from '../../../src/index.js';
import { PY_MAE, runSeededParity } from './mae-reference.js';
import { checkGrads, checkLoss, perturb, seededViews, summary, toFloat64 } from './parity-reference.js';

const cfg = {
  type: 'PixMIM',
  backbone: { type: 'MAEViT', imgSize: 16, patchSize: 4, embedDim: 16, depth: 2, numHeads: 2 },
  neck: {
    type: 'MAEPretrainDecoder',
    numPatches: 16,
    patchSize: 4,
    embedDim: 16,
    decoderEmbedDim: 8,
    decoderDepth: 2,
    decoderNumHeads: 2,
  },
  head: { type: 'MAEPretrainHead', normPix: true, patchSize: 4 },
  targetGenerator: { type: 'LowFreqTargetGenerator', radius: 3, imgSize: 16 },
};

const PY = `${PY_MAE}
def low_freq(imgs, r):
    h, w = imgs.shape[-2:]
    filt = torch.ones((3, h, w))
    for i in range(h):
        for j in range(w):
            if (i - (h - 1) / 2) ** 2 + (j - (w - 1) / 2) ** 2 > r ** 2:
                filt[:, i, j] = 0
    mean = (torch.tensor(D['mean']) / 255).view(1, 3, 1, 1)
    std = (torch.tensor(D['std']) / 255).view(1, 3, 1, 1)
    f = torch.fft.fftshift(torch.fft.fft2(imgs * std + mean), dim=(-2, -1))
    return (torch.abs(torch.fft.ifft2(f * filt)) - mean) / std

model = build(MAE())
pert = copy.deepcopy(model)
torch.manual_seed(D['seed'])
loss = model(VIEWS[0], target_imgs=low_freq(VIEWS[0], 3))
torch.manual_seed(D['seed'])
OUT = finish(model, loss, {'perturbed': pert(VIEWS[0], target_imgs=low_freq(VIEWS[0], 4)).item()})
`;

torch.manualSeed(0);
const algo = toFloat64(ALGORITHMS.build(cfg, 'model'));
assert.ok(algo instanceof PixMIM);
perturb(algo, 0.05, 1);
const progress: TrainProgress = { epoch: 0, iter: 0, maxEpochs: 1, maxIters: 10 };
const R = runSeededParity(algo, seededViews([16]), progress, PY, 11);

test('PixMIM: the loss equals MAE’s against the low-pass target (radius 3; radius 4 differs)', () => checkLoss(R));

test('PixMIM: every gradient equals PyTorch’s', (t) => {
  checkGrads(R);
  t.diagnostic(summary(R));
});

test('PixMIM: the target generator’s statistics follow the preprocessor unless the config sets them', () => {
  const custom = ALGORITHMS.build({ ...cfg, dataPreprocessor: { mean: [10, 20, 30], std: [2, 3, 4] } }, 'model') as PixMIM;
  torch.tidy(() => {
    // A constant pixel value survives the low-pass: it must come back in the same preprocessed units.
    const x = torch
      .tensor([(100 - 10) / 2, (100 - 20) / 3, (100 - 30) / 4])
      .reshape(1, 3, 1, 1)
      .expand(1, 3, 16, 16);
    assert.ok(custom.targetGenerator.forward(x).sub(x).abs().max().item() < 1e-4);
  });
  custom.dispose();
});
