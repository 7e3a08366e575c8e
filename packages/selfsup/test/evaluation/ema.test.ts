/**
 * ExponentialMovingAverage against MMEngine's update restated in PyTorch (first update copies, then
 * `avg.lerp_(param, momentum)` every `interval` steps, buffers followed or averaged), the swap
 * identity, and the closed form of a constant parameter: avg = p + (avg₀ − p)(1 − m)^k.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { nn } from '@selfsup/torch';
import { ExponentialMovingAverage } from '../../src/evaluation/ema.js';
import { assertClose, py } from '../helpers.js';

/** A linear layer and a batch norm (parameters, float buffers and an integer counter). */
class Net extends nn.Module {
  readonly fc = this.registerModule('fc', new nn.Linear(3, 2));
  readonly bn = this.registerModule('bn', new nn.BatchNorm1d(2));
  forward(x: torch.Tensor): torch.Tensor {
    return this.bn.forward(this.fc.forward(x));
  }
}

test("updates equal MMEngine's ExponentialMovingAverage (copy, then lerp every interval; buffers followed or averaged)", () => {
  torch.manualSeed(2);
  torch.tidy(() => {
    const net = new Net();
    const steps = 7;
    const g = new torch.Generator().manualSeed(9);
    // The weights after each training step, and the inputs that move the batch-norm statistics.
    const weights = Array.from({ length: steps }, () => torch.randn([2, 3], { generator: g }));
    const inputs = Array.from({ length: steps }, () => torch.randn([4, 3], { generator: g }));
    const plain = new ExponentialMovingAverage(net, { momentum: 0.1, interval: 2 });
    const withBuffers = new ExponentialMovingAverage(net, { momentum: 0.1, updateBuffers: true });
    for (let k = 0; k < steps; k++) {
      torch.noGrad(() => net.fc.weight.copy_(weights[k]));
      net.train();
      net.forward(inputs[k]);
      plain.update(net);
      withBuffers.update(net);
    }
    const ref = py<{ interval: number[][]; buffers: Record<string, number[] | number> }>(
      `W = [torch.tensor(w) for w in D['weights']]
avg = None
for k, w in enumerate(W):
    if k == 0: avg = w.clone()
    elif k % 2 == 0: avg.lerp_(w, 0.1)
# update_buffers: BatchNorm statistics averaged too, the integer counter kept from the first copy.
bn = torch.nn.BatchNorm1d(2); fc = torch.nn.Linear(3, 2)
with torch.no_grad(): fc.bias.copy_(torch.tensor(D['bias']))
rm = rv = None
for k, (w, x) in enumerate(zip(W, D['inputs'])):
    with torch.no_grad(): fc.weight.copy_(w)
    bn(fc(torch.tensor(x)))
    if k == 0: rm, rv, nb = bn.running_mean.clone(), bn.running_var.clone(), bn.num_batches_tracked.clone()
    else: rm.lerp_(bn.running_mean, 0.1); rv.lerp_(bn.running_var, 0.1)
OUT = {'interval': avg, 'buffers': {'running_mean': rm, 'running_var': rv, 'num_batches_tracked': nb}}`,
      { weights: weights.map((w) => w.toList()), inputs: inputs.map((x) => x.toList()), bias: net.fc.bias?.toList() },
    );
    assertClose(plain.get('fc.weight'), ref.interval, 1e-7, 'interval 2');
    assert.throws(() => plain.get('bn.running_mean'), /no averaged tensor 'bn.running_mean'/);
    assertClose(withBuffers.get('bn.running_mean'), ref.buffers.running_mean as number[], 1e-6, 'running mean');
    assertClose(withBuffers.get('bn.running_var'), ref.buffers.running_var as number[], 1e-6, 'running var');
    assert.equal(withBuffers.get('bn.num_batches_tracked').item(), ref.buffers.num_batches_tracked);
    assert.equal(net.bn.numBatchesTracked?.item(), steps);
    plain.dispose();
    withBuffers.dispose();
    net.dispose();
  });
});

test('a constant parameter: avg = p + (avg₀ − p)(1 − m)^k; swap exchanges the weights and swapping back restores them', () => {
  torch.tidy(() => {
    const net = new Net();
    const ema = new ExponentialMovingAverage(net, { momentum: 0.05 });
    ema.update(net);
    const first = net.fc.weight.detach().clone();
    const p = torch.full([2, 3], 0.25);
    torch.noGrad(() => net.fc.weight.copy_(p));
    const k = 30;
    for (let i = 0; i < k; i++) ema.update(net);
    assertClose(ema.get('fc.weight'), p.add(first.sub(p).mul(0.95 ** k)), 1e-6, 'closed form');
    const avg = ema.get('fc.weight').clone();
    ema.swap(net);
    assertClose(net.fc.weight, avg, 0, 'model holds the average');
    assertClose(ema.get('fc.weight'), p, 0, 'the EMA holds the live weights');
    ema.swap(net);
    assertClose(net.fc.weight, p, 0, 'swapping back restores');
    ema.dispose();
    net.dispose();
  });
});

test('bad options are refused with the option named', () => {
  torch.tidy(() => {
    const net = new Net();
    assert.throws(() => new ExponentialMovingAverage(net, { momentum: 1 }), /momentum must be in \(0, 1\)/);
    assert.throws(() => new ExponentialMovingAverage(net, { interval: 0 }), /interval must be a positive integer/);
    net.dispose();
  });
});
