import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '../src/index.js';

test('libtorch errors become JS errors naming the operator; the process carries on', () => {
  torch.tidy(() => {
    const a = torch.ones([2, 3]);
    const check = (fn: () => unknown, op: RegExp, cause: RegExp, kind?: string) =>
      assert.throws(fn, (e: Error & { op?: string; kind?: string }) => {
        assert.match(e.message, op);
        assert.match(e.message, cause);
        if (kind) assert.equal(e.kind, kind);
        assert.ok(torch.isTorchError(e));
        return true;
      });
    check(() => a.mm(torch.ones([2, 3])), /^aten::mm:/, /cannot be multiplied \(2x3 and 2x3\)/);
    check(() => a.mm(torch.ones([3, 2], { dtype: 'float64' })), /aten::mm/, /expected .*(Double|Float)/i);
    check(() => a.select(0, 5), /aten::select/, /out of range/, 'IndexError');
    check(() => a.view(4), /aten::view/, /shape '\[4\]' is invalid/);
    check(() => a.add(torch.ones([4])), /aten::add/, /must match the size/);
    check(() => a.index(torch.tensor([7])), /aten::index/, /out of bounds/, 'IndexError');
    if (!torch.cuda.isAvailable()) check(() => a.to('cuda:0'), /aten::to/, /CUDA|cuda/);
    check(() => torch.zeros([-1]), /aten::zeros/, /negative dimension/);
    assert.equal(a.sum().item(), 6, 'still working after errors');
  });
});

test('wrong argument types and disposed tensors throw TypeErrors before reaching libtorch', () => {
  const a = torch.ones([2]);
  assert.throws(() => a.view('x' as unknown as number), /argument 'size' expected an (array of )?integers?/);
  assert.throws(() => a.view(1.5), /expected an integer/);
  assert.throws(() => torch.tensor([1, 'a' as unknown as number]), /element at \[1\] is string/);
  assert.throws(() => torch.ones([2], { dtype: 'float33' as torch.DType }), /unknown dtype 'float33'/);
  a.dispose();
  assert.throws(() => a.sum(), /Tensor used after dispose\(\)/);
  assert.throws(() => a.shape, /Tensor used after dispose\(\)/);
});
