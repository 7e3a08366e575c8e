/**
 * The browser example (docs/examples/onnx-web): served with an exported model, an image and
 * onnxruntime-web's files from a local HTTP server, headless Chromium decodes the image in the page,
 * normalises it and runs the model (WebAssembly, one thread); the embedding it computes must equal
 * selfsup's own features of the same image (decoded by sharp, normalised as in training) to 1e-4.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import { chromium } from 'playwright-core';
import sharp from 'sharp';
import { normalizeImages } from '../../../src/core/images.js';
import { poolFeatures } from '../../../src/evaluation/preprocess.js';
import { exportOnnx } from '../../../src/interop/onnx/export.js';
import { ResNet } from '../../../src/models/backbones/resnet.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = new URL('../../../../../../', import.meta.url);
const PAGE = fileURLToPath(new URL('docs/examples/onnx-web/', ROOT));
const ORT = fileURLToPath(new URL('node_modules/onnxruntime-web/dist/', ROOT));
const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.png': 'image/png',
  '.onnx': 'application/octet-stream',
};

test('onnx-web example: the embedding computed in Chromium equals selfsup’s features', {
  skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install chromium)`,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-onnx-web-'));
  const size = 24;
  const norm = { mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] };
  torch.manualSeed(11);
  const backbone = new ResNet({ depth: 18, cifarStem: true, widthMultiplier: 0.125 });
  // Running statistics of a batch, so that eval-mode BN is not the identity.
  for (const m of backbone.modules()) if (m instanceof nn.BatchNorm2d) (m as { momentum: number | null }).momentum = null;
  torch.noGrad(() => backbone.forward(torch.randn([8, 3, size, size])));
  backbone.eval();
  const e = exportOnnx(backbone, { inputSize: [size, size], dynamicBatch: true, normalization: norm });
  writeFileSync(join(dir, 'model.onnx'), e.bytes);
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ input: e.input, outputs: e.outputs, ...norm }));
  const pixels = Buffer.from(Array.from({ length: size * size * 3 }, (_, i) => (i * 97 + ((i * i) % 89)) % 256));
  const png = await sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toBuffer();
  writeFileSync(join(dir, 'image.png'), png);

  // selfsup's features of the same image, decoded by sharp.
  const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  const img = torch
    .tensor(new Uint8Array(data), { shape: [size, size, 3] })
    .permute(2, 0, 1)
    .unsqueeze(0);
  const want = torch.noGrad(
    () => poolFeatures(backbone.forward(normalizeImages(img, norm)).at(-1) as Tensor).toTypedArray() as Float32Array,
  );

  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = path.startsWith('/ort/') ? join(ORT, path.slice(5)) : join(existsSync(join(dir, path)) ? dir : PAGE, path);
    if (!file.startsWith(ORT) && !file.startsWith(PAGE) && !file.startsWith(dir)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = readFileSync(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    const t0 = performance.now();
    await page.goto(`http://127.0.0.1:${port}/index.html?image=image.png`);
    await page.waitForSelector('body[data-done], body[data-error]', { timeout: 30_000 });
    const got = (await page.evaluate('window.embedding ?? document.body.dataset.error')) as number[] | string;
    assert.ok(Array.isArray(got), `page error: ${got}; ${errors.join('; ')}`);
    assert.equal(got.length, want.length);
    let d = 0;
    for (let i = 0; i < got.length; i++) d = Math.max(d, Math.abs(got[i] - want[i]));
    assert.ok(d <= 1e-4, `browser embedding differs by ${d}`);
    const status = await page.textContent('#status');
    console.log(
      `# onnx-web: ${got.length}-d embedding in Chromium, max |web − selfsup| ${d.toExponential(2)}, page ${(performance.now() - t0).toFixed(0)} ms (${status})`,
    );
  } finally {
    await browser.close();
    server.close();
  }
});
