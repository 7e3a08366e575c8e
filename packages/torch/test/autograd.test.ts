import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '../src/index.js';
import { assertClose, gradCheck } from './helpers.js';

test('backward accumulates d/dx into .grad (hand-derived: d(sum x²·3)/dx = 6x)', () => {
  torch.tidy(() => {
    const x = torch.tensor([1, -2, 3], { dtype: 'float64', requiresGrad: true });
    assert.equal(x.isLeaf, true);
    const y = x.pow(2).mul(3).sum();
    assert.equal(y.gradFn, 'SumBackward0');
    y.backward(null, { retainGraph: true });
    assertClose(x.grad as torch.Tensor, [6, -12, 18]);
    y.backward();
    assertClose(x.grad as torch.Tensor, [12, -24, 36], 1e-12, 'accumulated');
    x.grad = null;
    assert.equal(x.grad, null);
  });
});

test("backward through a freed graph fails with libtorch's message, retainGraph keeps it", () => {
  torch.tidy(() => {
    const x = torch.tensor([1.0, 2.0], { requiresGrad: true });
    const y = x.exp().sum();
    y.backward();
    assert.throws(() => y.backward(), /backward through the graph a second time/);
  });
});

test('non-scalar backward takes a gradient; autograd.grad leaves .grad alone', () => {
  torch.tidy(() => {
    const x = torch.tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    const y = x.mul(x);
    y.backward(torch.tensor([1, 0.5, 2], { dtype: 'float64' }));
    assertClose(x.grad as torch.Tensor, [2, 2, 12]);
    const z = torch.tensor([0.5, 1.5], { dtype: 'float64', requiresGrad: true });
    const [g] = torch.autograd.grad(z.sin().sum(), z);
    assertClose(g as torch.Tensor, [Math.cos(0.5), Math.cos(1.5)], 1e-12);
    assert.equal(z.grad, null);
    // Second order: d²/dz² sum(z³) = 6z.
    const [g1] = torch.autograd.grad(z.pow(3).sum(), z, { createGraph: true });
    const [g2] = torch.autograd.grad((g1 as torch.Tensor).sum(), z);
    assertClose(g2 as torch.Tensor, [3, 9], 1e-12);
    const unused = torch.tensor([1.0], { requiresGrad: true });
    assert.deepEqual(torch.autograd.grad(z.sum(), [z, unused], { allowUnused: true })[1], null);
  });
});

test('noGrad, enableGrad, inferenceMode and detach', () => {
  torch.tidy(() => {
    const x = torch.ones([2], { requiresGrad: true });
    const a = torch.noGrad(() => x.mul(2));
    assert.equal(a.requiresGrad, false);
    assert.equal(torch.isGradEnabled(), true);
    const b = torch.noGrad(() => torch.enableGrad(() => x.mul(2)));
    assert.equal(b.requiresGrad, true);
    const c = torch.inferenceMode(() => {
      assert.equal(torch.isInferenceModeEnabled(), true);
      return x.mul(2);
    });
    assert.equal(torch.isInferenceModeEnabled(), false);
    assert.equal(c.requiresGrad, false);
    assert.equal(c.isInference(), true);
    assert.equal(x.mul(2).detach().requiresGrad, false);
    assert.throws(
      () =>
        torch.noGrad(() => {
          throw new Error('inner');
        }),
      /inner/,
    );
    assert.equal(torch.isGradEnabled(), true, 'grad mode restored after a throw');
  });
});

test('in-place on a leaf that requires grad is refused by libtorch', () => {
  torch.tidy(() => {
    const x = torch.ones([2], { requiresGrad: true });
    assert.throws(() => x.add_(1), /leaf Variable that requires grad/);
  });
});

test('gradCheck itself fails on a wrong gradient', () => {
  torch.tidy(() => {
    const l = torch.randn([3], { dtype: 'float64' });
    // a·detach(a) has true derivative 2a but autograd sees only a.
    assert.throws(() => gradCheck((a) => a.mul(a.detach()), [l]), /finite difference/);
  });
});
