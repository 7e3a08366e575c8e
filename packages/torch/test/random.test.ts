import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '../src/index.js';
import { assertClose, py } from './helpers.js';

test('manualSeed gives the same numbers as PyTorch with the same seed', () => {
  const ref = py<Record<string, unknown>>(`torch.manual_seed(42)
a = torch.randn(6); b = torch.rand(2, 3); c = torch.randint(0, 100, (5,)); d = torch.randperm(8)
g = torch.Generator().manual_seed(7)
OUT = {'a': a, 'b': b, 'c': c, 'd': d, 'g': torch.randn(4, generator=g)}`);
  torch.tidy(() => {
    torch.manualSeed(42);
    assertClose(torch.randn([6]), ref.a as number[], 1e-7, 'randn');
    assertClose(torch.rand([2, 3]), ref.b as number[], 1e-7, 'rand');
    assert.deepEqual(torch.randint(0, 100, [5]).toList(), ref.c);
    assert.deepEqual(torch.randperm(8).toList(), ref.d);
    const g = new torch.Generator().manualSeed(7);
    assertClose(torch.randn([4], { generator: g }), ref.g as number[], 1e-7, 'generator');
    g.dispose();
  });
});

test('RNG state save and restore reproduces the sequence', () => {
  torch.tidy(() => {
    torch.manualSeed(3);
    torch.randn([10]);
    const state = torch.getRngState();
    const a = torch.randn([5]).toList();
    torch.randn([100]);
    torch.setRngState(state);
    assert.deepEqual(torch.randn([5]).toList(), a);
    const g = new torch.Generator().manualSeed(5);
    const s = g.getState();
    const b = torch.rand([3], { generator: g }).toList();
    g.setState(s);
    assert.deepEqual(torch.rand([3], { generator: g }).toList(), b);
    assert.equal(g.initialSeed(), 5);
    g.dispose();
  });
});

test('threads: default is the available cores, settable', () => {
  const n = torch.getNumThreads();
  assert.ok(n >= 1);
  torch.setNumThreads(1);
  assert.equal(torch.getNumThreads(), 1);
  torch.setNumThreads(n);
  assert.throws(() => torch.setNumThreads(0), /positive integer/);
});
