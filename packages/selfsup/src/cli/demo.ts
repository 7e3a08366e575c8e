/**
 * `selfsup demo`: until the self-supervised demo lands, a small supervised training example on
 * Fashion-MNIST (Debian's dataset-fashion-mnist) that exercises the engine end to end: data from
 * IDX files, a conv net in functional form, SGD with momentum, evaluation and a `.pth` checkpoint.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as torch from '@selfsup/torch';
import { readIdx } from '../data/datasets/idx.js';

const F = torch.F;

interface Params {
  [name: string]: torch.Tensor;
}

function initParams(): Params {
  // Kaiming-uniform fan-in init, as PyTorch's Conv2d/Linear defaults.
  const u = (shape: number[], fanIn: number) => {
    const b = 1 / Math.sqrt(fanIn);
    return torch.keep(
      torch
        .rand(shape)
        .mul(2 * b)
        .sub(b)
        .requiresGrad_(true),
    );
  };
  return {
    'conv1.weight': u([16, 1, 3, 3], 9),
    'conv1.bias': u([16], 9),
    'conv2.weight': u([32, 16, 3, 3], 144),
    'conv2.bias': u([32], 144),
    'fc.weight': u([10, 32 * 7 * 7], 32 * 49),
    'fc.bias': u([10], 32 * 49),
  };
}

function forward(p: Params, x: torch.Tensor): torch.Tensor {
  let h = F.maxPool2d(F.relu(F.conv2d(x, p['conv1.weight'], p['conv1.bias'], { padding: 1 })), 2);
  h = F.maxPool2d(F.relu(F.conv2d(h, p['conv2.weight'], p['conv2.bias'], { padding: 1 })), 2);
  return F.linear(h.flatten(1), p['fc.weight'], p['fc.bias']);
}

function loadSplit(dir: string, split: 'train' | 't10k', limit: number): { x: torch.Tensor; y: torch.Tensor } {
  const imgs = readIdx(join(dir, `${split}-images-idx3-ubyte.gz`));
  const labels = readIdx(join(dir, `${split}-labels-idx1-ubyte.gz`));
  const n = Math.min(limit, imgs.shape[0]);
  return torch.tidy(() => {
    const raw = torch.tensor(imgs.data.subarray(0, n * 28 * 28), { shape: [n, 1, 28, 28] });
    // Fashion-MNIST's mean/std (0.2860, 0.3530).
    const x = raw.float().div(255).sub(0.286).div(0.353);
    const y = torch.tensor(labels.data.subarray(0, n), { shape: [n] }).long();
    return { x, y };
  });
}

export async function demo(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string', default: '/usr/share/datasets/fashion-mnist' },
      'work-dir': { type: 'string', default: 'work_dirs/demo' },
      epochs: { type: 'string', default: '2' },
      'train-samples': { type: 'string', default: '12000' },
      'batch-size': { type: 'string', default: '128' },
      seed: { type: 'string', default: '0' },
    },
  });
  const epochs = Number(values.epochs);
  const batch = Number(values['batch-size']);
  torch.manualSeed(Number(values.seed));
  const t0 = performance.now();
  const train = loadSplit(values.data as string, 'train', Number(values['train-samples']));
  const test = loadSplit(values.data as string, 't10k', 10000);
  const p = initParams();
  const momentum: Params = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, torch.keep(torch.zerosLike(v))]));
  const n = train.x.shape[0];
  console.log(
    `selfsup demo: Fashion-MNIST, ${n} training images, ${epochs} epochs, libtorch ${torch.version}, ${torch.getNumThreads()} threads`,
  );
  const lr = 0.05;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const perm = torch.keep(torch.randperm(n));
    let lossSum = 0;
    let steps = 0;
    for (let s = 0; s + batch <= n; s += batch) {
      lossSum += torch.tidy(() => {
        const idx = perm.narrow(0, s, batch);
        const loss = F.crossEntropy(forward(p, train.x.indexSelect(0, idx)), train.y.indexSelect(0, idx));
        loss.backward();
        torch.noGrad(() => {
          for (const [k, w] of Object.entries(p)) {
            const g = w.grad as torch.Tensor;
            momentum[k].mul_(0.9).add_(g);
            w.sub_(momentum[k], { alpha: lr });
            g.zero_();
          }
        });
        return loss.item();
      });
      steps++;
    }
    perm.dispose();
    const acc = evaluate(p, test.x, test.y);
    console.log(
      `epoch ${epoch + 1}/${epochs}  loss ${(lossSum / steps).toFixed(4)}  test accuracy ${(acc * 100).toFixed(2)}%  (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
  }
  const dir = resolve(values['work-dir'] as string);
  mkdirSync(dir, { recursive: true });
  const ckpt = join(dir, 'model.pth');
  torch.noGrad(() =>
    torch.save(
      torch.tidy(() => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.detach()]))),
      ckpt,
    ),
  );
  console.log(`checkpoint: ${ckpt} (loads in Python with torch.load)`);
  return 0;
}

function evaluate(p: Params, x: torch.Tensor, y: torch.Tensor): number {
  return torch.inferenceMode(() =>
    torch.tidy(() => {
      let correct = 0;
      for (let s = 0; s < x.shape[0]; s += 1000) {
        const xb = x.narrow(0, s, Math.min(1000, x.shape[0] - s));
        const yb = y.narrow(0, s, xb.shape[0]);
        correct += forward(p, xb).argmax(1).eq(yb).sum().item();
      }
      return correct / x.shape[0];
    }),
  );
}
