/**
 * CUDA paths: these run where libtorch sees a GPU (build the addon against a CUDA libtorch) and
 * are skipped, with the reason printed, everywhere else. References are the CPU results of the
 * same ops in float64 (no TF32 there) and Python PyTorch on the same GPU.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '../src/index.js';
import { assertClose, pseudo, py, freePort } from './helpers.js';

const F = torch.F;
const skip = torch.cuda.isAvailable()
  ? false
  : `no CUDA device (libtorch ${torch.version} ${torch.cuda.info().runtime === null ? 'has no CUDA' : 'sees no GPU'})`;

test('cuda.info names the GPUs and the CUDA runtime; synchronize returns', { skip }, () => {
  const info = torch.cuda.info();
  assert.ok(info.runtime && /^\d+\.\d+$/.test(info.runtime), `runtime ${info.runtime}`);
  assert.equal(info.devices.length, torch.cuda.deviceCount());
  torch.cuda.synchronize();
});

test('forward and backward on cuda equal the CPU in float64: conv, batch norm, linear, attention, losses, indexing', {
  skip,
}, () => {
  const run = (dev: string) => {
    const t = (shape: number[], seed: number) => torch.tensor(pseudo(shape, seed) as number[], { dtype: 'float64' }).to(dev);
    const x = t([2, 3, 8, 8], 1);
    const w = t([4, 3, 3, 3], 2).requiresGrad_();
    const lw = t([5, 4 * 9], 3).requiresGrad_();
    const q = t([2, 2, 6, 8], 4).requiresGrad_();
    const h = F.batchNorm(F.conv2d(x, w, null, { stride: 1 }), null, null, { training: true });
    const pooled = F.maxPool2d(F.relu(h), 2);
    const logits = F.linear(pooled.flatten(1), lw);
    const y = torch.tensor([1, 3], { dtype: 'int64' }).to(dev);
    const att = F.scaledDotProductAttention(q, q, q);
    const picked = logits.indexSelect(1, torch.tensor([4, 0], { dtype: 'int64' }).to(dev));
    const top = logits.topk(2, { dim: 1 }).values;
    const loss = F.crossEntropy(logits, y).add(att.square().mean()).add(picked.sum()).add(top.sum());
    loss.backward();
    return [loss, logits, att, w.grad, lw.grad, q.grad].map((v) => (v as torch.Tensor).cpu());
  };
  const cpu = run('cpu');
  const gpu = run('cuda');
  gpu.forEach((g, i) => {
    assert.equal(g.device, 'cpu');
    assertClose(g, cpu[i], 1e-10, `output ${i}`);
  });
});

test('manualSeed gives the same cuda random numbers as PyTorch on the same GPU', { skip }, () => {
  torch.manualSeed(123);
  const a = torch.randn([5], { device: 'cuda' });
  const b = torch.rand([3], { device: 'cuda' });
  const ref = py<number[][]>(
    "torch.manual_seed(123); OUT = [torch.randn(5, device='cuda').tolist(), torch.rand(3, device='cuda').tolist()]",
  );
  assertClose(a.cpu(), ref[0], 1e-6, 'randn');
  assertClose(b.cpu(), ref[1], 1e-6, 'rand');
});

test('a module moved to cuda saves device-independent checkpoints that PyTorch and selfsup load on the CPU', { skip }, () => {
  const m = new torch.nn.Linear(4, 3);
  const before = m.weight.clone();
  m.to('cuda');
  assert.equal(m.weight.device, 'cuda:0');
  const file = join(mkdtempSync(join(tmpdir(), 'selfsup-cuda-')), 'm.pth');
  torch.save(m.stateDict() as unknown as torch.StateValue, file);
  const back = torch.load(file) as Record<string, torch.Tensor>;
  assert.equal(back.weight.device, 'cpu');
  assertClose(back.weight, before, 0, 'weight');
  const devices = py<string[]>(`sd = torch.load(D['file']); OUT = sorted(set(str(v.device) for v in sd.values()))`, { file });
  assert.deepEqual(devices, ['cpu']);
});

test('pinned host memory: pinMemory keeps the values, a non-blocking copy to cuda arrives whole', { skip }, () => {
  const x = torch.arange(0, 1000, 1, { dtype: 'float32' });
  const p = x.pinMemory();
  const g = p.to({ device: 'cuda', nonBlocking: true });
  torch.cuda.synchronize();
  assertClose(g.cpu(), x, 0, 'copied');
});

test("GradScaler's fused cuda kernels behave like its CPU arithmetic: inf/NaN skip, backoff, growth", { skip }, () => {
  const trace = (dev: string) => {
    const p = torch.tensor([1, -2, 3], { dtype: 'float32' }).to(dev).requiresGrad_();
    const opt = new torch.optim.SGD([p], { lr: 0.1 });
    const scaler = new torch.optim.GradScaler({ initScale: 1024, growthInterval: 2 });
    const scales: number[] = [];
    for (const poison of [false, true, false, false, false]) {
      const loss = p
        .square()
        .sum()
        .mul(poison ? Number.POSITIVE_INFINITY : 1);
      scaler.scale(loss).backward();
      scaler.step(opt);
      scaler.update();
      opt.zeroGrad();
      scales.push(scaler.getScale());
    }
    return { scales, p: p.detach().cpu() };
  };
  const cpu = trace('cpu');
  const gpu = trace('cuda');
  assert.deepEqual(gpu.scales, cpu.scales);
  assert.deepEqual(cpu.scales, [1024, 512, 512, 1024, 1024]);
  assertClose(gpu.p, cpu.p, 1e-6, 'parameters');
});

test('an NCCL process group of one rank all-reduces and all-gathers cuda tensors', {
  skip: skip || (!torch.distributed.isNcclAvailable() && 'this addon was built without NCCL'),
}, async () => {
  torch.distributed.initProcessGroup({
    backend: 'nccl',
    rank: 0,
    worldSize: 1,
    masterAddr: '127.0.0.1',
    masterPort: await freePort(),
  });
  try {
    assert.equal(torch.distributed.getBackend(), 'nccl');
    const t = torch.tensor([1, 2, 3], { dtype: 'float32' }).to('cuda');
    torch.distributed.allReduce(t, { op: 'sum' });
    assertClose(t.cpu(), [1, 2, 3], 0, 'allReduce of one rank');
    const all = torch.distributed.allGather(t);
    assert.equal(all.length, 1);
    assert.equal(all[0].device, 'cuda:0');
  } finally {
    torch.distributed.destroyProcessGroup();
  }
});
