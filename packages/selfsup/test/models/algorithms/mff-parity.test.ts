/**
 * MFF against a PyTorch restatement of mmpretrain's `MFFViT` + `MFF` over MAE's reference
 * (mae-reference.ts): the masked encoder keeps the outputs of blocks 0, 2 and 3, projects the first
 * two with their own linears, mixes the three with softmax(proj_weights) and applies the final norm
 * to the mixture; decoder and loss are MAE's. Loss, every gradient (the fusion logits and projections
 * included) and the logged weights, float64 (see parity-reference.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ALGORITHMS, MFF, type TrainProgress } from '../../../src/index.js';
import { PY_MAE, runSeededParity } from './mae-reference.js';
import { checkGrads, checkLoss, perturb, seededViews, summary, toFloat64 } from './parity-reference.js';

const cfg = {
  type: 'MFF',
  backbone: { type: 'MFFViT', imgSize: 16, patchSize: 4, embedDim: 16, depth: 4, numHeads: 2, outIndices: [0, 2, 3] },
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
};

const PY = `${PY_MAE}
class MFFEncoder(Encoder):
    def __init__(self, p, d, depth, h, L, out_indices):
        super().__init__(p, d, depth, h, L)
        self.out_indices = out_indices
        self.proj_layers = nn.ModuleList([nn.Linear(d, d) for _ in out_indices[:-1]])
        self.proj_weights = nn.Parameter(torch.ones(len(out_indices)).view(-1, 1, 1, 1))
    def forward(self, x, ratio):
        x = self.patch_embed(x) + self.pos_embed[:, 1:, :]
        N, L, D = x.shape
        keep = int(L * (1 - ratio))
        noise = torch.rand(N, L, dtype=torch.float32)
        ids_shuffle = torch.argsort(noise, dim=1)
        ids_restore = torch.argsort(ids_shuffle, dim=1)
        x = torch.gather(x, 1, ids_shuffle[:, :keep].unsqueeze(-1).repeat(1, 1, D))
        mask = torch.ones(N, L); mask[:, :keep] = 0
        mask = torch.gather(mask, 1, ids_restore)
        x = torch.cat([(self.cls_token + self.pos_embed[:, :1, :]).expand(N, -1, -1), x], 1)
        res = []
        for i, b in enumerate(self.blocks):
            x = b(x)
            if i in self.out_indices:
                k = self.out_indices.index(i)
                res.append(x if i == self.out_indices[-1] else self.proj_layers[k](x))
        w = F.softmax(self.proj_weights, dim=0)
        return self.norm((torch.stack(res) * w).sum(0)), mask, ids_restore

model = MAE(depth=4)
model.backbone = MFFEncoder(4, 16, 4, 2, 16, [0, 2, 3])
model = build(model)
pert = copy.deepcopy(model)
with torch.no_grad(): pert.backbone.proj_weights.zero_()
torch.manual_seed(D['seed'])
loss = model(VIEWS[0])
torch.manual_seed(D['seed'])
weights = F.softmax(model.backbone.proj_weights.detach(), 0).view(-1).tolist()
OUT = finish(model, loss, {'perturbed': pert(VIEWS[0]).item(), 'weights': weights})
`;

torch.manualSeed(0);
const algo = toFloat64(ALGORITHMS.build(cfg, 'model'));
assert.ok(algo instanceof MFF);
perturb(algo, 0.05, 1);
const progress: TrainProgress = { epoch: 0, iter: 0, maxEpochs: 1, maxIters: 10 };
const R = runSeededParity(algo, seededViews([16]), progress, PY, 5);

test('MFF: the loss equals the reference’s (fused blocks 0, 2, 3; uniform fusion weights differ)', () => checkLoss(R));

test('MFF: every gradient equals PyTorch’s, the fusion logits and projections included', (t) => {
  checkGrads(R);
  for (const k of ['backbone.proj_weights', 'backbone.proj_layers.0.weight', 'backbone.proj_layers.1.bias'])
    assert.ok(R.trainable.includes(k), `${k} is trained`);
  t.diagnostic(summary(R));
});

test('MFF: the logged weight_k are softmax(proj_weights), as the reference computes them', () => {
  const ref = R.ref.weights as number[];
  assert.equal(ref.length, 3);
  for (const [k, w] of ref.entries()) {
    assert.ok(Math.abs(R.logs[`weight_${k}`] - w) < 1e-12, `weight_${k}: ${R.logs[`weight_${k}`]} vs ${w}`);
  }
  assert.ok(Math.abs(ref[0] - ref[2]) > 1e-4, 'the perturbed logits give unequal weights');
});
