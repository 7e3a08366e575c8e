/**
 * `selfsup convert` as the command line runs it (`main`, in process): exit codes (0, 1 for a
 * checkpoint that cannot be converted, 2 for usage errors), messages that name the file, format or
 * keys at fault, the printed counts, and a Swin written as mmpretrain safetensors whose tensors are
 * ours under `backbone.` (mmpretrain's Swin names are ours).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { main } from '../../src/cli/index.js';
import { SwinTransformer } from '../../src/models/backbones/swin.js';
import { VisionTransformer } from '../../src/models/backbones/vit.js';

const dir = mkdtempSync(join(tmpdir(), 'selfsup-convert-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const f = (name: string) => join(dir, name);

/** Runs `selfsup …` and captures what it printed. */
async function selfsup(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => out.push(a.join(' '));
  console.error = (...a: unknown[]) => err.push(a.join(' '));
  try {
    const code = await main(args);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

const swin = new SwinTransformer({ imgSize: 16, patchSize: 4, embedDim: 8, depths: [1, 1], numHeads: [2, 2], windowSize: 2 });
torch.save(swin.stateDict(), f('swin.pth'));
const vit = new VisionTransformer({ imgSize: 16, patchSize: 8, embedDim: 8, depth: 1, numHeads: 2 });
const vitSd = vit.stateDict();
torch.save({ ...vitSd, 'head.weight': torch.zeros([3, 8]), 'head.bias': torch.zeros([3]) }, f('vit_timm.pth'));

test('selfsup convert: Swin → mmpretrain safetensors, our tensors under backbone., JSON summary', async () => {
  const r = await selfsup('convert', f('swin.pth'), f('swin_mm.safetensors'), '--to', 'mmpretrain', '--json');
  assert.equal(r.code, 0, r.err);
  const summary = JSON.parse(r.out.trim().split('\n').pop() as string);
  assert.equal(summary.arch, 'swin');
  assert.equal(summary.from, 'selfsup');
  const own = swin.stateDict();
  assert.equal(summary.tensors, Object.keys(own).length);
  const got = torch.load(f('swin_mm.safetensors')) as Record<string, Tensor>;
  assert.deepEqual(
    Object.keys(got).sort(),
    Object.keys(own)
      .map((k) => `backbone.${k}`)
      .sort(),
  );
  for (const [k, t] of Object.entries(own)) assert.ok(got[`backbone.${k}`].equal(t), k);
});

test('selfsup convert: timm ViT → torchvision prints the dropped classifier count', async () => {
  const r = await selfsup('convert', f('vit_timm.pth'), f('vit_tv.pth'), '--to', 'torchvision');
  assert.equal(r.code, 0, r.err);
  // What was written is a note on stderr; stdout stays empty without --json.
  assert.match(r.err, /vit timm → torchvision: \d+ tensors written/);
  assert.match(r.err, /dropped 2 non-backbone keys \(head\.\*\)/);
  assert.equal(r.out, '');
  const tv = torch.load(f('vit_tv.pth')) as Record<string, Tensor>;
  // One of ours, renamed by hand: timm's fused qkv is torchvision's in_proj.
  assert.ok(tv['encoder.layers.encoder_layer_0.self_attention.in_proj_weight'].equal(vitSd['blocks.0.attn.qkv.weight']));
  assert.ok(tv.class_token.equal(vitSd.cls_token));
});

test('selfsup convert: usage errors exit 2 naming the format, the file, the flag', async () => {
  const bad = await selfsup('convert', f('swin.pth'), f('x.pth'), '--to', 'caffe');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--to: unknown format 'caffe'/);
  const missing = await selfsup('convert', f('nope.pth'), f('x.pth'), '--to', 'timm');
  assert.equal(missing.code, 2);
  assert.match(missing.err, /nope\.pth' does not exist/);
  const noTo = await selfsup('convert', f('swin.pth'), f('x.pth'));
  assert.equal(noTo.code, 2);
  assert.match(noTo.err, /--to is required/);
  const ext = await selfsup('convert', f('swin.pth'), f('x.onnx'), '--to', 'timm');
  assert.equal(ext.code, 2);
  assert.match(ext.err, /x\.onnx' must end in \.pth/);
  const help = await selfsup('convert', '--help');
  assert.equal(help.code, 0);
  assert.match(help.out, /usage: selfsup convert/);
});

test('selfsup convert: keys that fit no layout, or a family a format lacks, exit 1 naming them', async () => {
  torch.save({ ...vitSd, 'blocks.0.attn.weird.weight': torch.zeros([2]) }, f('vit_odd.pth'));
  const odd = await selfsup('convert', f('vit_odd.pth'), f('x.pth'), '--to', 'torchvision');
  assert.equal(odd.code, 1);
  assert.match(odd.err, /vit_odd\.pth: keys that fit no timm vit layout: blocks\.0\.attn\.weird\.weight/);
  torch.save({ 'foo.weight': torch.zeros([2]) }, f('foo.pth'));
  const foo = await selfsup('convert', f('foo.pth'), f('x.pth'), '--to', 'timm');
  assert.equal(foo.code, 1);
  assert.match(foo.err, /keys fit no known backbone \(ResNet, ViT, Swin\): foo\.weight/);
  const d2 = await selfsup('convert', f('swin.pth'), f('x.pth'), '--to', 'detectron2');
  assert.equal(d2.code, 1);
  assert.match(d2.err, /detectron2 layout: defined for ResNet only/);
});
