import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { ContrastiveHead } from '../../../src/models/heads/contrastive-head.js';
import { HEADS } from '../../../src/models/registries.js';
import { assertClose, pseudo, py } from '../../helpers.js';
import '../../../src/builtins.js';

test("ContrastiveHead matches MMSelfSup's head in PyTorch (CE of cat(pos, neg)/T, label 0), default T = 0.1", () => {
  const data = { pos: pseudo([6, 1], 1), neg: pseudo([6, 9], 2) };
  const ref = py<{ l01: number; l02: number; gpos: number[][]; gneg: number[][] }>(
    `pos, neg = T(D['pos']).requires_grad_(True), T(D['neg']).requires_grad_(True)
def head(pos, neg, t):
    logits = torch.cat((pos, neg), dim=1) / t
    return torch.nn.functional.cross_entropy(logits, torch.zeros((pos.size(0),), dtype=torch.long))
l01 = head(pos, neg, 0.1); l01.backward()
OUT = {'l01': l01, 'gpos': pos.grad, 'gneg': neg.grad, 'l02': head(pos, neg, 0.2)}`,
    data,
  );
  const head = HEADS.buildAs({ type: 'ContrastiveHead' }, 'head', ContrastiveHead, 'test');
  assert.ok(head instanceof ContrastiveHead);
  assert.equal(head.temperature, 0.1);
  assert.equal(head.parameters().length, 0);
  torch.tidy(() => {
    const pos = torch.tensor(data.pos as number[][], { dtype: 'float64' }).requiresGrad_(true);
    const neg = torch.tensor(data.neg as number[][], { dtype: 'float64' }).requiresGrad_(true);
    const loss = head.forward(pos, neg);
    loss.backward();
    assertClose(loss.item(), ref.l01, 1e-10, 'T = 0.1');
    assertClose(pos.grad as torch.Tensor, ref.gpos, 1e-10, 'd/dpos');
    assertClose(neg.grad as torch.Tensor, ref.gneg, 1e-10, 'd/dneg');
    const h2 = new ContrastiveHead({ temperature: 0.2 });
    assertClose(h2.forward(pos, neg).item(), ref.l02, 1e-10, 'T = 0.2');
  });
  assert.throws(() => HEADS.build({ type: 'ContrastiveHead', temperature: 0 }, 'model.head'), /model\.head\.temperature/);
  assert.throws(() => HEADS.build({ type: 'ContrastiveHead', temprature: 0.2 }, 'model.head'), /did you mean 'temperature'/);
});
