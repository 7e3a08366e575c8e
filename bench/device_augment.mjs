#!/usr/bin/env node
// Augmentation on the device (`trainDataloader.augmentOnDevice`): what a loader worker spends per
// image on MMSelfSup's SimCLR views (two per image) when it runs the whole pipeline on the host, and
// when it runs only the crop and the device does the rest; what that rest costs on the device; and
// torchvision's per-image pipeline (one DataLoader worker's work) beside them. Images are decoded
// once beforehand on both sides: decoding costs the same either way. One thread everywhere.
//   node bench/device_augment.mjs [--root DIR] [--size 224] [--n 256] [--batch 64] [--runs 5] [--device auto]
// DIR is an ImageFolder (e.g. CIFAR-10 extracted from ../shared/data/cifar10-train.tar.gz); without
// one, n synthetic 375 × 500 PNGs (ImageNet's typical size) are written to a temporary folder.
// Host rates are images/s for one core: a host with k cores feeds at most k times that. The device
// rate is images/s of the finishing step on --device (the CPU here when there is no GPU).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './common.mjs';

const { values } = parseArgs({
  options: {
    root: { type: 'string' },
    size: { type: 'string', default: '224' },
    n: { type: 'string', default: '256' },
    batch: { type: 'string', default: '64' },
    runs: { type: 'string', default: '5' },
    device: { type: 'string', default: 'auto' },
  },
});
const torch = await import('../packages/torch/dist/src/index.js');
await import('../packages/selfsup/dist/src/builtins.js');
const { buildViews } = await import('../packages/selfsup/dist/src/data/register.js');
const { simclrViews } = await import('../packages/selfsup/dist/src/engine/config/recipes.js');
const { decodeImage } = await import('../packages/selfsup/dist/src/data/decode.js');
const { resolveDevice } = await import('../packages/selfsup/dist/src/engine/device.js');
const { tensorToDevice } = await import('../packages/selfsup/dist/src/data/loader/to-device.js');

const size = Number(values.size);
const batch = Number(values.batch);
const runs = Number(values.runs);
const device = resolveDevice(values.device, 0, '--device');
torch.setNumThreads(1);

/** n smooth colour images with noise: a folder `c0` of PNGs. */
async function synthetic(n) {
  const sharp = (await import('sharp')).default;
  const root = mkdtempSync(join(tmpdir(), 'selfsup-device-augment-'));
  mkdirSync(join(root, 'c0'));
  const [h, w] = [375, 500];
  for (let i = 0; i < n; i++) {
    const px = Buffer.alloc(h * w * 3);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let c = 0; c < 3; c++)
          px[(y * w + x) * 3 + c] = (((x * (c + 1) + y * (3 - c) + 37 * i) >> 1) + ((x * 7919 + y * 104729 + c * i) % 23)) & 255;
    await sharp(px, { raw: { width: w, height: h, channels: 3 } })
      .png({ compressionLevel: 1 })
      .toFile(join(root, 'c0', `${String(i).padStart(5, '0')}.png`));
  }
  return root;
}
const root = values.root ?? (await synthetic(Number(values.n)));

// n files spread over the folder's classes, in sorted order (the same files on both sides).
const files = readdirSync(root)
  .sort()
  .flatMap((c) =>
    readdirSync(join(root, c))
      .sort()
      .map((f) => join(root, c, f)),
  );
const chosen = [];
for (let i = 0; chosen.length < Number(values.n) && i < files.length; i++)
  chosen.push(files[Math.floor((i * files.length) / Number(values.n)) % files.length]);
const images = await Promise.all(chosen.map((f) => decodeImage(f)));

// MMSelfSup's SimCLR views (configs/selfsup/_base_/datasets/imagenet_simclr.py) at `size`.
const mv = buildViews(simclrViews({ size }));
const sync = () => {
  if (device.startsWith('cuda')) torch.cuda.synchronize(Number(device.split(':')[1]));
};

/** images/s of `work(images of one batch, their indices, epoch)` over every whole batch. */
function rate(epoch, work) {
  const t = performance.now();
  let done = 0;
  for (let s = 0; s + batch <= images.length; s += batch) {
    const idxs = Array.from({ length: batch }, (_, j) => s + j);
    work(images.slice(s, s + batch), idxs, epoch);
    done += batch;
  }
  sync();
  return done / ((performance.now() - t) / 1000);
}

const whole = (imgs, idxs, epoch) => mv.applyImagesPacked(imgs, 0, epoch, idxs);
const crop = (imgs, idxs, epoch) => mv.applyImagesDeferred(imgs, 0, epoch, idxs);
// The crops made beforehand (what arrives from the workers), finished on the device.
const heads = new Map();
const finish = (_imgs, idxs, epoch) => {
  const { heads: h, positions } = heads.get(`${epoch}:${idxs[0]}`);
  torch.tidy(() => {
    const out = mv.finishDeferred(
      h.map((p) => tensorToDevice(torch.tensor(p.data, { shape: p.shape }), device)),
      positions,
    );
    for (const v of out.views) v.dispose();
  });
};

const ours = { whole: [], crop: [], finish: [] };
for (let run = 0; run <= runs; run++) {
  const epoch = run;
  for (let s = 0; s + batch <= images.length; s += batch) {
    const idxs = Array.from({ length: batch }, (_, j) => s + j);
    heads.set(`${epoch}:${s}`, crop(images.slice(s, s + batch), idxs, epoch));
  }
  const r = { whole: rate(epoch, whole), crop: rate(epoch, crop), finish: rate(epoch, finish) };
  // Run 0 warms up (JIT, allocator, cuDNN's choices).
  if (run > 0) for (const k of Object.keys(r)) ours[k].push(r[k]);
  heads.clear();
}

const py = process.env.SELFSUP_PYTHON ?? '/usr/bin/python3';
const ref = spawnSync(
  py,
  [
    join(dirname(fileURLToPath(import.meta.url)), 'device_augment.py'),
    JSON.stringify(chosen),
    String(size),
    String(batch),
    String(runs),
  ],
  { encoding: 'utf8', maxBuffer: 1 << 26 },
);
if (ref.status !== 0) throw new Error(`device_augment.py failed: ${ref.stderr}`);
const theirs = JSON.parse(ref.stdout.trim().split('\n').at(-1));

const m = (xs) => median(xs).toFixed(0);
console.log(
  `SimCLR views (2 per image) at ${size} px, ${images.length} images, batch ${batch}, ${runs} runs (medians), one thread`,
);
console.log(
  `host, whole pipeline:   selfsup ${m(ours.whole)} img/s   torchvision ${m(theirs.whole)} img/s   ratio ${(median(ours.whole) / median(theirs.whole)).toFixed(2)}`,
);
console.log(
  `host, crop only:        selfsup ${m(ours.crop)} img/s   torchvision ${m(theirs.crop)} img/s   ratio ${(median(ours.crop) / median(theirs.crop)).toFixed(2)}`,
);
console.log(
  `host work moved off:    ${(median(ours.crop) / median(ours.whole)).toFixed(2)}× the images per core with augmentOnDevice`,
);
console.log(`device (${device}) finishing the views: ${m(ours.finish)} img/s`);
