import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { MoCoV3Head } from '../../../src/models/heads/mocov3-head.js';
import { NonLinearNeck } from '../../../src/models/necks/nonlinear-neck.js';
import { HEADS } from '../../../src/models/registries.js';
import { assertClose, pseudo, py } from '../../helpers.js';
import '../../../src/builtins.js';

const predictor = {
  type: 'NonLinearNeck',
  inChannels: 4,
  hidChannels: 8,
  outChannels: 4,
  withLastBnAffine: false,
  withAvgPool: false,
  normCfg: { type: 'BN1d' },
};

test("MoCoV3Head matches MMSelfSup's head in PyTorch: predictor, normalise, q·kᵀ/T, CE with arange labels, × 2T", () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-mocov3head-'));
  torch.manualSeed(5);
  const head = HEADS.buildAs({ type: 'MoCoV3Head', predictor, temperature: 0.2 }, 'head', MoCoV3Head, 'test');
  assert.ok(head instanceof MoCoV3Head && head.predictor instanceof NonLinearNeck);
  assert.equal(head.lossWeight, 0.4, 'loss weight defaults to 2T');
  assert.deepEqual(Object.keys(head.stateDict()).slice(0, 2), ['predictor.fc0.weight', 'predictor.bn0.weight']);
  head.to('float64');
  const ckpt = join(dir, 'predictor.pth');
  torch.save((head.predictor as NonLinearNeck).stateDict(), ckpt);
  const data = { ckpt, base: pseudo([6, 4], 1), mom: pseudo([6, 4], 2) };
  const ref = py<{ loss: number; gbase: number[][]; gfc0: number[][] }>(
    `import torch.nn as nn
p = nn.Module()
p.fc0 = nn.Linear(4, 8, bias=False); p.bn0 = nn.BatchNorm1d(8); p.fc1 = nn.Linear(8, 4, bias=False); p.bn1 = nn.BatchNorm1d(4, affine=False)
p.load_state_dict(torch.load(D['ckpt'])); p.double()
base, mom = T(D['base']).requires_grad_(True), T(D['mom'])
pred = p.bn1(p.fc1(torch.relu(p.bn0(p.fc0(base)))))
pred = nn.functional.normalize(pred, dim=1); target = nn.functional.normalize(mom, dim=1)
logits = torch.einsum('nc,mc->nm', [pred, target]) / 0.2
loss = 2 * 0.2 * nn.functional.cross_entropy(logits, torch.arange(6))
loss.backward()
OUT = {'loss': loss, 'gbase': base.grad, 'gfc0': p.fc0.weight.grad}`,
    data,
  );
  torch.tidy(() => {
    const base = torch.tensor(data.base as number[][], { dtype: 'float64' }).requiresGrad_(true);
    const mom = torch.tensor(data.mom as number[][], { dtype: 'float64' }).requiresGrad_(true);
    const loss = head.forward(base, mom);
    loss.backward();
    assertClose(loss.item(), ref.loss, 1e-10, 'loss');
    assertClose(base.grad as torch.Tensor, ref.gbase, 1e-10, 'd/dbase');
    const fc0 = (head.predictor as NonLinearNeck).fcs[0];
    assertClose(fc0.weight.grad as torch.Tensor, ref.gfc0, 1e-10, 'predictor fc0 gradient');
    assert.equal(mom.grad, null, 'the momentum targets get no gradient');
  });
  head.dispose();
  assert.throws(
    () => HEADS.build({ type: 'MoCoV3Head', predictor: { type: 'NonLinearNek' } }, 'model.head'),
    /model\.head\.predictor\.type: unknown necks type 'NonLinearNek'; did you mean 'NonLinearNeck'/,
  );
});
