import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '../src/index.js';
import { assertClose, pseudo, py } from './helpers.js';

test('creation: dtype inference, shapes and values', () => {
  torch.tidy(() => {
    const i = torch.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.equal(i.dtype, 'int64');
    assert.deepEqual(i.shape, [2, 3]);
    assert.deepEqual(i.toList(), [
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.equal(torch.tensor([1.5, 2]).dtype, 'float32');
    assert.equal(torch.tensor([true, false]).dtype, 'bool');
    assert.deepEqual(torch.tensor([true, false]).toList(), [true, false]);
    assert.equal(torch.tensor(new Float64Array([1, 2])).dtype, 'float64');
    assert.deepEqual(torch.tensor(new Int32Array([1, 2, 3, 4]), { shape: [2, 2] }).toList(), [
      [1, 2],
      [3, 4],
    ]);
    assert.equal(torch.tensor(3.5).item(), 3.5);
    assert.deepEqual(torch.tensor([]).shape, [0]);
    assert.deepEqual(torch.zeros([2, 3]).toList(), [
      [0, 0, 0],
      [0, 0, 0],
    ]);
    assert.deepEqual(torch.ones([2], { dtype: 'int32' }).toList(), [1, 1]);
    assert.equal(torch.ones([2], { dtype: 'int32' }).dtype, 'int32');
    assert.deepEqual(torch.full([2], 7).toList(), [7, 7]);
    assert.deepEqual(torch.arange(5).toList(), [0, 1, 2, 3, 4]);
    assert.equal(torch.arange(5).dtype, 'int64');
    assertClose(torch.arange(0, 1, 0.25), [0, 0.25, 0.5, 0.75]);
    assertClose(torch.linspace(0, 1, 5), [0, 0.25, 0.5, 0.75, 1]);
    assert.deepEqual(torch.eye(2, 3).toList(), [
      [1, 0, 0],
      [0, 1, 0],
    ]);
    assert.deepEqual(torch.zerosLike(i).shape, [2, 3]);
    assert.equal(torch.onesLike(i, { dtype: 'float64' }).dtype, 'float64');
    assert.equal(torch.tensor([1, 2], { dtype: 'float16' }).dtype, 'float16');
    assertClose(torch.tensor([1, 2], { dtype: 'bfloat16' }).float(), [1, 2]);
    assert.throws(() => torch.tensor([[1, 2], [3]]), /ragged/);
  });
});

test('random creation: shapes, ranges and permutation', () => {
  torch.tidy(() => {
    torch.manualSeed(0);
    const r = torch.rand([1000]);
    assert.ok(r.min().item() >= 0 && r.max().item() < 1);
    const ri = torch.randint(3, 7, [1000]);
    assert.equal(ri.dtype, 'int64');
    assert.ok(ri.min().item() >= 3 && ri.max().item() <= 6);
    const p = torch.randperm(10).sort().values.toList();
    assert.deepEqual(p, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const n = torch.randn([20000]);
    assert.ok(Math.abs(n.mean().item()) < 0.05 && Math.abs(n.std().item() - 1) < 0.05);
  });
});

test('views and shape ops match their definitions', () => {
  torch.tidy(() => {
    const x = torch.arange(24).reshape(2, 3, 4);
    assert.deepEqual(x.view(6, 4).shape, [6, 4]);
    assert.deepEqual(x.view(-1).shape, [24]);
    assert.deepEqual(x.permute(2, 0, 1).shape, [4, 2, 3]);
    assert.equal(x.permute(2, 0, 1).isContiguous(), false);
    assert.equal(x.permute(2, 0, 1).contiguous().isContiguous(), true);
    assert.deepEqual(x.transpose(0, 2).index(1, 2, 0).item(), x.index(0, 2, 1).item());
    assert.deepEqual(x.unsqueeze(0).shape, [1, 2, 3, 4]);
    assert.deepEqual(x.unsqueeze(0).squeeze().shape, [2, 3, 4]);
    assert.deepEqual(x.flatten(1).shape, [2, 12]);
    assert.deepEqual(x.narrow(2, 1, 2).toList(), x.index(':', ':', '1:3').toList());
    assert.deepEqual(x.select(1, 2).toList(), x.index(':', 2).toList());
    assert.deepEqual(torch.tensor([1, 2]).expand(3, 2).toList(), [
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
    assert.deepEqual(
      x.split(2, 2).map((t) => t.shape),
      [
        [2, 3, 2],
        [2, 3, 2],
      ],
    );
    assert.deepEqual(
      x.split([1, 3], 2).map((t) => t.shape),
      [
        [2, 3, 1],
        [2, 3, 3],
      ],
    );
    assert.deepEqual(
      x.chunk(3, 1).map((t) => t.shape),
      [
        [2, 1, 4],
        [2, 1, 4],
        [2, 1, 4],
      ],
    );
    assert.deepEqual(torch.cat([x, x], 1).shape, [2, 6, 4]);
    assert.deepEqual(torch.stack([x, x], 0).shape, [2, 2, 3, 4]);
    assert.deepEqual(x.unflatten(2, [2, 2]).shape, [2, 3, 2, 2]);
    assert.deepEqual(
      torch
        .tensor([
          [1, 2],
          [3, 4],
        ])
        .T.toList(),
      [
        [1, 3],
        [2, 4],
      ],
    );
    // A view shares storage: writing through it changes the base.
    const base = torch.zeros([2, 2]);
    base.index(0).fill_(5);
    assert.deepEqual(base.toList(), [
      [5, 5],
      [0, 0],
    ]);
  });
});

test('indexing, gather/scatter and masks agree with PyTorch', () => {
  const data = pseudo([3, 4, 5], 7);
  const ref = py<Record<string, unknown>>(
    `x = T(D['x'])
idx = torch.tensor([2, 0])
OUT = {
  'a': x[1, :, 2:4], 'b': x[..., 1], 'c': x[None, 0].shape, 'd': x[idx], 'e': x[:, idx, 1],
  'f': x[x > 0.5], 'g': x[::2, 1::2], 'h': x[-1, -2],
  'gather': torch.gather(x, 2, torch.tensor([[[0, 4]] * 4] * 3)),
  'scatter': torch.zeros(3, 5).scatter_(1, torch.tensor([[0, 1], [2, 3], [4, 0]]), 1.5),
  'scatter_add': torch.zeros(2, 3).scatter_add(1, torch.tensor([[0, 0, 2], [1, 1, 1]]), torch.ones(2, 3)),
  'masked_fill': x[0].masked_fill(x[0] < 0, -9), 'index_select': x.index_select(1, idx),
}
y = x.clone(); y[0, 1:3] = 7; y[x > 0.9] = -1
OUT['put'] = y`,
    { x: data },
  );
  torch.tidy(() => {
    const x = torch.tensor(data, { dtype: 'float64' });
    const idx = torch.tensor([2, 0]);
    assertClose(x.index(1, ':', '2:4'), ref.a as number[], 1e-12);
    assertClose(x.index('...', 1), ref.b as number[], 1e-12);
    assert.deepEqual(x.index(null, 0).shape, ref.c);
    assertClose(x.index(idx), ref.d as number[], 1e-12);
    assertClose(x.index(':', idx, 1), ref.e as number[], 1e-12);
    assertClose(x.index(x.gt(0.5)), ref.f as number[], 1e-12);
    assertClose(x.index('::2', torch.slice(1, null, 2)), ref.g as number[], 1e-12);
    assertClose(x.index(-1, -2), ref.h as number[], 1e-12);
    const gi = torch.tensor(Array.from({ length: 3 }, () => Array.from({ length: 4 }, () => [0, 4])));
    assertClose(x.gather(2, gi), ref.gather as number[], 1e-12);
    assertClose(
      torch.zeros([3, 5]).scatter_(
        1,
        torch.tensor([
          [0, 1],
          [2, 3],
          [4, 0],
        ]),
        1.5,
      ),
      ref.scatter as number[],
    );
    assertClose(
      torch.zeros([2, 3]).scatterAdd(
        1,
        torch.tensor([
          [0, 0, 2],
          [1, 1, 1],
        ]),
        torch.ones([2, 3]),
      ),
      ref.scatter_add as number[],
    );
    assertClose(x.index(0).maskedFill(x.index(0).lt(0), -9), ref.masked_fill as number[], 1e-12);
    assertClose(x.indexSelect(1, idx), ref.index_select as number[], 1e-12);
    const y = x.clone();
    y.indexPut_([0, '1:3'], 7);
    y.indexPut_([x.gt(0.9)], -1);
    assertClose(y, ref.put as number[], 1e-12);
  });
});

test('arithmetic, comparisons and reductions agree with PyTorch', () => {
  const a = pseudo([4, 5], 3);
  const b = pseudo([5], 4);
  const ref = py<Record<string, unknown>>(
    `a = T(D['a']); b = T(D['b'])
OUT = {
  'add': a + b, 'sub': a - 2 * b, 'mul': a * b, 'div': a / (b.abs() + 1), 'pow': a.abs() ** 1.5, 'rsub': 3 - a,
  'exp': a.exp(), 'log': (a.abs() + 0.1).log(), 'sqrt': a.abs().sqrt(), 'sin': a.sin(), 'cos': a.cos(), 'tanh': a.tanh(),
  'sigmoid': a.sigmoid(), 'clamp': a.clamp(-0.3, 0.4), 'abs': a.abs(), 'floor_div': torch.div(a * 10, 3, rounding_mode='floor'),
  'sum': a.sum(), 'sum1': a.sum(1), 'sumk': a.sum(0, keepdim=True), 'mean': a.mean(0), 'std': a.std(1), 'std0': a.std(1, unbiased=False),
  'var': a.var(), 'max': a.max(), 'max1v': a.max(1).values, 'max1i': a.max(1).indices, 'min0i': a.min(0).indices,
  'argmax': a.argmax(), 'lse': a.logsumexp(1), 'norm': a.norm(), 'norm1': torch.linalg.vector_norm(a, 1, dim=1),
  'topk_v': a.topk(2, dim=1).values, 'topk_i': a.topk(2, dim=1).indices, 'sort_v': a.sort(dim=0, descending=True).values,
  'mm': a @ a.t(), 'bmm': torch.bmm(a.view(2, 2, 5), a.view(2, 5, 2)), 'einsum': torch.einsum('ij,j->i', a, b),
  'eq': a > b, 'where': torch.where(a > 0, a, b), 'cumsum': a.cumsum(1), 'prod': a.prod(1),
}`,
    { a, b },
  );
  torch.tidy(() => {
    const A = torch.tensor(a, { dtype: 'float64' });
    const B = torch.tensor(b, { dtype: 'float64' });
    const tol = 1e-10;
    assertClose(A.add(B), ref.add as number[], tol, 'add');
    assertClose(A.sub(B, { alpha: 2 }), ref.sub as number[], tol, 'sub');
    assertClose(A.mul(B), ref.mul as number[], tol, 'mul');
    assertClose(A.div(B.abs().add(1)), ref.div as number[], tol, 'div');
    assertClose(A.abs().pow(1.5), ref.pow as number[], tol, 'pow');
    assertClose(A.rsub(3), ref.rsub as number[], tol, 'rsub');
    for (const k of ['exp', 'sin', 'cos', 'tanh', 'sigmoid', 'abs'] as const) assertClose(A[k](), ref[k] as number[], tol, k);
    assertClose(A.abs().add(0.1).log(), ref.log as number[], tol, 'log');
    assertClose(A.abs().sqrt(), ref.sqrt as number[], tol, 'sqrt');
    assertClose(A.clamp({ min: -0.3, max: 0.4 }), ref.clamp as number[], tol, 'clamp');
    assertClose(A.mul(10).div(3, { roundingMode: 'floor' }), ref.floor_div as number[], tol, 'floor div');
    assertClose(A.sum(), ref.sum as number, tol, 'sum');
    assertClose(A.sum(1), ref.sum1 as number[], tol, 'sum(1)');
    assertClose(A.sum(0, { keepdim: true }), ref.sumk as number[], tol, 'sum keepdim');
    assertClose(A.mean(0), ref.mean as number[], tol, 'mean');
    assertClose(A.std(1), ref.std as number[], tol, 'std');
    assertClose(A.std(1, { unbiased: false }), ref.std0 as number[], tol, 'std biased');
    assertClose(A.var(), ref.var as number, tol, 'var');
    assertClose(A.max(), ref.max as number, tol, 'max');
    assertClose(A.max(1).values, ref.max1v as number[], tol, 'max dim');
    assert.deepEqual(A.max(1).indices.toList(), ref.max1i);
    assert.deepEqual(A.min(0).indices.toList(), ref.min0i);
    assert.equal(A.argmax().item(), ref.argmax);
    assertClose(A.logsumexp(1), ref.lse as number[], tol, 'logsumexp');
    assertClose(A.norm(), ref.norm as number, tol, 'norm');
    assertClose(A.norm(1, 1), ref.norm1 as number[], tol, 'norm p=1');
    assertClose(A.topk(2, { dim: 1 }).values, ref.topk_v as number[], tol, 'topk');
    assert.deepEqual(A.topk(2, { dim: 1 }).indices.toList(), ref.topk_i);
    assertClose(A.sort({ dim: 0, descending: true }).values, ref.sort_v as number[], tol, 'sort');
    assertClose(A.mm(A.t()), ref.mm as number[], tol, 'mm');
    assertClose(A.view(2, 2, 5).bmm(A.view(2, 5, 2)), ref.bmm as number[], tol, 'bmm');
    assertClose(torch.einsum('ij,j->i', A, B), ref.einsum as number[], tol, 'einsum');
    assert.deepEqual(A.gt(B).toList(), ref.eq);
    assertClose(torch.where(A.gt(0), A, B), ref.where as number[], tol, 'where');
    assertClose(A.cumsum(1), ref.cumsum as number[], tol, 'cumsum');
    assertClose(A.prod(1), ref.prod as number[], tol, 'prod');
  });
});

test('in-place ops return the same object and mutate it', () => {
  torch.tidy(() => {
    const x = torch.tensor([1, 2, 3], { dtype: 'float32' });
    const r = x
      .add_(1)
      .mul_(2)
      .sub_(torch.tensor([1, 1, 1], { dtype: 'float32' }));
    assert.equal(r, x);
    assert.deepEqual(x.toList(), [3, 5, 7]);
    assert.equal(x.clamp_({ max: 4 }), x);
    assert.deepEqual(x.toList(), [3, 4, 4]);
    assert.deepEqual(x.zero_().toList(), [0, 0, 0]);
  });
});

test('dtype and conversion: to(), item(), toTypedArray(), integer scalars stay integer', () => {
  torch.tidy(() => {
    const i = torch.arange(3);
    assert.equal(i.mul(2).dtype, 'int64');
    assert.equal(i.mul({ float: 2 }).dtype, 'float32');
    assert.equal(i.mul(2.5).dtype, 'float32');
    assert.equal(i.to('float64').dtype, 'float64');
    assert.equal(i.float().toTypedArray().constructor, Float32Array);
    assert.deepEqual(Array.from(i.toTypedArray() as BigInt64Array), [0n, 1n, 2n]);
    assert.equal(torch.tensor([2.5]).item(), 2.5);
    assert.equal(torch.tensor([true]).item(), 1);
    assert.equal(i.to({ device: 'cpu' }).device, 'cpu');
    assert.match(String(torch.tensor([[1.5, 2]])), /^tensor\(\[\[1\.5000, 2\.0000\]\]\)$/);
  });
});

test('tensor(nested, { shape }) reshapes the data, or refuses a shape that does not hold it', () => {
  const t = torch.tensor([1, 2, 3, 4, 5, 6], { shape: [1, 3, 1, 2] });
  assert.deepEqual(t.shape, [1, 3, 1, 2]);
  assert.deepEqual(t.toList(), [[[[1, 2]], [[3, 4]], [[5, 6]]]]);
  assert.throws(() => torch.tensor([1, 2, 3], { shape: [1, 3, 1, 2] }), /shape \[1,3,1,2\] holds 6 values but the data has 3/);
  t.dispose();
});

test('fromBytes joins a list of parts in order with the shape it is given, or names the byte count', () => {
  const a = new Float32Array([1.5, -2]);
  const b = new Uint8Array(new Float32Array([3, 4.25, 5]).buffer);
  const t = torch.fromBytes([a, b.buffer, new Uint8Array(0)], 'float32', [5]);
  assert.deepEqual(t.toList(), [1.5, -2, 3, 4.25, 5]);
  // A part that is a view into a larger buffer contributes only its own bytes.
  const big = new Uint8Array([9, 1, 2, 3, 9]);
  const u = torch.fromBytes([big.subarray(1, 4), new Uint8Array([4])], 'uint8', [2, 2]);
  assert.deepEqual(u.toList(), [
    [1, 2],
    [3, 4],
  ]);
  assert.throws(() => torch.fromBytes([a, a], 'float32', [5]), /shape \[5\] of Float needs 20 bytes, got 16/);
  assert.throws(() => torch.fromBytes([a, 'x' as unknown as Uint8Array], 'float32', [3]), /expected a TypedArray or ArrayBuffer/);
  t.dispose();
  u.dispose();
});

test('tensor() reads views of a SharedArrayBuffer (data shared with worker threads), at their offset', () => {
  const shared = new Uint8Array(new SharedArrayBuffer(10));
  shared.set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const t = torch.tensor(shared.subarray(4, 10), { shape: [2, 3] });
  assert.deepEqual(t.toList(), [
    [5, 6, 7],
    [8, 9, 10],
  ]);
  const f = torch.tensor(new Float32Array(new SharedArrayBuffer(8)).fill(1.5));
  assert.deepEqual(f.toList(), [1.5, 1.5]);
});
