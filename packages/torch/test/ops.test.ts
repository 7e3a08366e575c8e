import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '../src/index.js';

test('torch.ops.aten reaches every operator: named overloads, packets and kwargs', () => {
  torch.tidy(() => {
    const a = torch.tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { dtype: 'float32' },
    );
    assert.deepEqual(torch.ops.aten.add.Tensor(a, a, { alpha: 2 }).toList(), [
      [3, 6],
      [9, 12],
    ]);
    assert.deepEqual(
      torch.ops.aten.add(a, 1).toList(),
      [
        [2, 3],
        [4, 5],
      ],
      'packet picks add.Scalar for a number',
    );
    assert.deepEqual(torch.ops.aten.sum.dim_IntList(a, [0], true).toList(), [[4, 6]]);
    assert.deepEqual(torch.ops.aten.sum(a, [1], false, { dtype: 'float64' }).dtype, 'float64');
    const [v, i] = torch.ops.aten.max.dim(a, 1);
    assert.deepEqual(
      [v.toList(), i.toList()],
      [
        [2, 4],
        [1, 1],
      ],
    );
    const b = a.clone();
    assert.equal(torch.ops.aten.mul_.Scalar(b, 2), b, 'in-place returns its input object');
    assert.deepEqual(b.toList(), [
      [2, 4],
      [6, 8],
    ]);
    assert.deepEqual((torch.ops.call('aten::flip', a, [1]) as torch.Tensor).toList(), [
      [2, 1],
      [4, 3],
    ]);
    assert.deepEqual((torch.ops.call('aten::_log_softmax', a, 1, false) as torch.Tensor).shape, [2, 2]);
    assert.ok(torch.ops.list().length > 2000);
  });
});

test('torch.ops errors: unknown operator, wrong argument, unexpected keyword', () => {
  torch.tidy(() => {
    const a = torch.ones([2]);
    assert.throws(() => torch.ops.call('aten::definitely_not_an_op', a), /unknown operator/);
    assert.throws(() => torch.ops.call('aten::add.Tensor', a, 'x'), /argument 'other' expected a Tensor/);
    assert.throws(() => torch.ops.call('aten::add.Tensor', a, a, { beta: 1 }), /unexpected keyword argument 'beta'/);
    assert.throws(() => torch.ops.call('aten::mm.default', a), /missing argument 'mat2'/);
    assert.throws(
      () => torch.ops.call('aten::mm', a),
      /no overload accepts these arguments[\s\S]*aten::mm\(Tensor self, Tensor mat2\)/,
    );
  });
});
