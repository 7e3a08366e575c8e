/**
 * `selfsup vis recon` end to end: a tiny MAE trained for a few iterations through `selfsup train`
 * on an image folder, then its reconstructions drawn from the checkpoint; the PNG's layout and its
 * tiles checked against the images on disk.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const BIN = fileURLToPath(new URL('../../../bin/selfsup.js', import.meta.url));

function selfsup(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const lastJson = (s: string) => JSON.parse(s.trim().split('\n').pop() as string);

const MAE = {
  type: 'MAE',
  backbone: { type: 'MAEViT', imgSize: 16, patchSize: 4, embedDim: 16, depth: 1, numHeads: 2 },
  neck: {
    type: 'MAEPretrainDecoder',
    numPatches: 16,
    patchSize: 4,
    embedDim: 16,
    decoderEmbedDim: 8,
    decoderDepth: 1,
    decoderNumHeads: 2,
  },
  head: { type: 'MAEPretrainHead', normPix: true, patchSize: 4 },
};

test('selfsup vis recon: a trained MAE’s original | masked | reconstruction | reconstruction + visible grid', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-recon-'));
  const images = join(dir, 'images');
  mkdirSync(join(images, 'all'), { recursive: true });
  // 6 images of 16×16: horizontal stripes of seeded colours (so every patch has structure).
  const files: Buffer[] = [];
  for (let i = 0; i < 6; i++) {
    const px = Buffer.alloc(16 * 16 * 3);
    for (let y = 0; y < 16; y++)
      for (let x = 0; x < 16; x++) for (let c = 0; c < 3; c++) px[(y * 16 + x) * 3 + c] = (37 * i + 61 * c + (y >> 2) * 50) % 256;
    files.push(px);
    await sharp(px, { raw: { width: 16, height: 16, channels: 3 } })
      .png()
      .toFile(join(images, 'all', `${i}.png`));
  }
  const cfg = join(dir, 'mae.ts');
  const config = {
    model: MAE,
    trainDataloader: {
      batchSize: 3,
      dataset: { type: 'ImageFolder', root: images, pipeline: [{ type: 'RandomFlip', prob: 0.5 }] },
    },
    optimWrapper: { optimizer: { type: 'AdamW', lr: 1e-3, betas: [0.9, 0.95], weightDecay: 0.05 } },
    trainCfg: { type: 'EpochBasedTrainLoop', maxEpochs: 2 },
    defaultHooks: { checkpoint: { interval: 1 } },
  };
  writeFileSync(cfg, `export default ${JSON.stringify(config)};\n`);
  const work = join(dir, 'work');
  let r = selfsup(['train', cfg, '--work-dir', work, '--quiet', '--json']);
  assert.equal(r.code, 0, r.stderr);
  // The run report shows the trained model's reconstructions.
  const report = readFileSync(join(work, 'report.html'), 'utf8');
  const section = /<section id="reconstruction">[\s\S]*?<img[^>]*src="data:image\/png;base64,([^"]+)"/.exec(report);
  assert.ok(section, 'report.html has a reconstruction section with an image');
  const meta = await sharp(Buffer.from(section[1], 'base64')).metadata();
  assert.deepEqual([meta.width, meta.height], [4 * 128 + 5 * 4, 6 * 128 + 7 * 4], 'six images, four panels each');

  const out = join(dir, 'recon.png');
  r = selfsup(['vis', 'recon', '--checkpoint', work, '--images', images, '--num', '3', '--seed', '1', '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const res = lastJson(r.stdout);
  assert.equal(res.images, 3);
  assert.ok(Math.abs(res.maskedFraction - 0.75) < 1e-9, 'MAE removes 12 of 16 patches');

  // 3 rows × 4 columns of 128-px cells (16 px × 8, nearest), 4-px gaps.
  const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height], [4 * 128 + 5 * 4, 3 * 128 + 4 * 4]);
  const at = (row: number, col: number, y: number, x: number) => {
    const top = 4 + row * 132 + y * 8 + 4;
    const left = 4 + col * 132 + x * 8 + 4;
    const o = (top * info.width + left) * info.channels;
    return [data[o], data[o + 1], data[o + 2]];
  };
  for (let row = 0; row < 3; row++) {
    // The original tile is one of the images on disk.
    const orig = Array.from({ length: 256 }, (_, k) => at(row, 0, k >> 4, k & 15));
    const match = files.findIndex((f) => orig.every((p, k) => p.every((v, c) => Math.abs(v - f[k * 3 + c]) <= 1)));
    assert.ok(match >= 0, `row ${row}: the original tile is an input image`);
    let grey = 0;
    for (let k = 0; k < 256; k++) {
      const [y, x] = [k >> 4, k & 15];
      const masked = at(row, 1, y, x);
      const isGrey = masked.every((v) => v === 128 || v === 127);
      const visible = !isGrey || orig[k].every((v) => v === 128 || v === 127);
      if (isGrey) grey++;
      // Where the model saw the pixel, the last tile shows the original.
      if (visible && !isGrey) assert.deepEqual(at(row, 3, y, x), orig[k], `row ${row} (${y}, ${x}): visible pixel pasted back`);
    }
    assert.equal(grey, 192, `row ${row}: 12 of 16 patches grey in the masked tile`);
  }

  // A model that cannot reconstruct is told so.
  const simclr = join(dir, 'simclr.ts');
  writeFileSync(
    simclr,
    `export default ${JSON.stringify({
      ...config,
      model: {
        type: 'SimCLR',
        backbone: { type: 'ResNet', depth: 18, widthMultiplier: 0.125, cifarStem: true },
        neck: { type: 'NonLinearNeck', inChannels: 64, hidChannels: 16, outChannels: 8 },
        head: { type: 'ContrastiveHead', temperature: 0.1 },
      },
    })};\n`,
  );
  r = selfsup(['vis', 'recon', '--config', simclr, '--images', images, '--out', join(dir, 'x.png')]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /SimCLR backbone.*cannot reconstruct images/);
  r = selfsup(['vis', 'recon', '--config', cfg]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /vis recon needs --images/);
  rmSync(dir, { recursive: true, force: true });
});
