/**
 * ONNX export, checked by running the exported bytes in onnxruntime (CPU) against selfsup's own
 * eval forward (backbone output pooled as the evaluation features pool it) on seeded random
 * inputs: ResNet-18 (ImageNet stem, small input), the CIFAR-stem ¼-width ResNet-18 with its SimCLR
 * projector, a ¼-width ResNetV1d-50 (bottlenecks, deep stem, average-pool downsampling), a tiny
 * ViT with layer scale (class token out) and one with average pooling at an input size that needs
 * padding and a resized position embedding, a small ConvNeXt (pooled output, layer scale) and a
 * ConvNeXt V2 (GRN, 1×1-conv pointwise layers, map output of an inner stage), BEiT with a shared
 * and with per-block relative position biases, and two small Swins (shifted windows; one with
 * padding to whole windows, odd-sized patch merging, a map smaller than the window and a resized
 * absolute embedding), a small MixMIM (non-shifted windows, a window clamped to its map) and two small
 * HiViTs (MLP-only stem on inner patches, patch merges, relative position bias and layer scale; one
 * at a larger input with a resized position embedding, an inner block's output), and iTPN's HiViT. Batch norms get
 * non-trivial running statistics first; ConvNeXt's, BEiT's and Swin's layer scales, GRN, q/v biases,
 * relative bias tables and LayerNorm parameters random values (they start at 1e-6, 0 and 1/0,
 * which would hide a wrong graph).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import * as ort from 'onnxruntime-node';
import type { Backbone } from '../../../src/models/backbones/base.js';
import { BEiTViT } from '../../../src/models/backbones/beit-vit.js';
import { ConvNeXt } from '../../../src/models/backbones/convnext.js';
import { HiViT } from '../../../src/models/backbones/hivit.js';
import { ITPNHiViT } from '../../../src/models/backbones/itpn-hivit.js';
import { MixMIMTransformer } from '../../../src/models/backbones/mixmim.js';
import { ResNet } from '../../../src/models/backbones/resnet.js';
import { SwinTransformer } from '../../../src/models/backbones/swin.js';
import { VisionTransformer } from '../../../src/models/backbones/vit.js';
import { NonLinearNeck } from '../../../src/models/necks/nonlinear-neck.js';
import { poolFeatures } from '../../../src/evaluation/preprocess.js';
import { exportOnnx, type OnnxExportOptions } from '../../../src/interop/onnx/export.js';
import { GraphBuilder } from '../../../src/interop/onnx/graph.js';
import { emitModule } from '../../../src/interop/onnx/modules.js';

const TOL = 1e-4;

/** Running statistics of a real batch (momentum null, one step) and non-trivial affine parameters. */
function calibrateNorms(modules: nn.AnyModule[], run: () => void): void {
  torch.manualSeed(7);
  for (const root of modules)
    for (const m of root.modules()) {
      if (m instanceof nn.BatchNorm2d || m instanceof nn.BatchNorm1d) {
        (m as { momentum: number | null }).momentum = null;
        m.resetRunningStats();
        torch.noGrad(() => {
          m.weight?.copy_(torch.rand([m.numFeatures]).mul_(0.5).add_(0.5));
          m.bias?.copy_(torch.randn([m.numFeatures]).mul_(0.1));
        });
      }
      m.train();
    }
  torch.noGrad(run);
  // Channels that ReLU leaves nearly all zero get a tiny variance, which amplifies float32 rounding
  // (both libtorch's and onnxruntime's) far beyond 1e-4 in a deep net: floor it as trained nets have.
  for (const root of modules) {
    root.eval();
    for (const m of root.modules())
      if (m instanceof nn.BatchNorm2d || m instanceof nn.BatchNorm1d) torch.noGrad(() => m.runningVar?.clamp_({ min: 0.1 }));
  }
}

async function runOrt(session: ort.InferenceSession, x: Tensor, outputs: string[]): Promise<Float32Array[]> {
  const input = new ort.Tensor('float32', x.contiguous().toTypedArray() as Float32Array, x.shape);
  const r = await session.run({ [session.inputNames[0]]: input });
  return outputs.map((o) => r[o].data as Float32Array);
}

function maxDiff(a: Float32Array, b: Tensor): number {
  const e = b.contiguous().toTypedArray() as Float32Array;
  assert.equal(a.length, e.length, 'element count');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - e[i]));
  return m;
}

/** Selfsup's features (and projection) for `x`, then ORT's, compared at each batch size. */
async function check(
  name: string,
  backbone: Backbone,
  opts: OnnxExportOptions,
  batches: number[],
  projector?: NonLinearNeck,
): Promise<void> {
  const [h, w] = opts.inputSize;
  calibrateNorms(projector ? [backbone, projector] : [backbone], () => {
    const outs = backbone.forward(torch.randn([16, backbone instanceof ResNet ? (backbone.opts.inChannels ?? 3) : 3, h, w]));
    projector?.forward([outs[outs.length - 1]]);
  });
  const t0 = performance.now();
  const exported = exportOnnx(backbone, { ...opts, projector });
  const ms = performance.now() - t0;
  const session = await ort.InferenceSession.create(exported.bytes);
  for (const n of batches) {
    torch.manualSeed(100 + n);
    const x = torch.randn([n, exported.input.shape[1] as number, h, w]);
    const features = torch.noGrad(() =>
      poolFeatures(
        backbone.forward(x).at(opts.stage ?? -1) as Tensor,
        undefined,
        (backbone as { numPrefixTokens?: number }).numPrefixTokens ?? 0,
      ),
    );
    const names = exported.outputs.map((o) => o.name);
    const got = await runOrt(session, x, names);
    const d = maxDiff(got[0], features);
    const scale = features.abs().max().item();
    assert.ok(d <= TOL, `${name} batch ${n}: features differ by ${d} (largest |feature| ${scale})`);
    let dp = 0;
    if (projector) {
      const p = torch.noGrad(() => projector.forward([backbone.forward(x).at(-1) as Tensor])[0]);
      dp = maxDiff(got[1], p);
      assert.ok(dp <= TOL, `${name} batch ${n}: projection differs by ${dp}`);
    }
    console.log(
      `# ${name}: batch ${n}, ${exported.nodes} nodes, ${(exported.bytes.length / 1e6).toFixed(2)} MB, export ${ms.toFixed(0)} ms, max |ORT − selfsup| ${d.toExponential(2)} (|features| ≤ ${scale.toFixed(2)})${projector ? ` (projection ${dp.toExponential(2)})` : ''}`,
    );
  }
}

test('ResNet-18 (ImageNet stem) at 32 px with a dynamic batch matches selfsup at batch 1 and 3', async () => {
  torch.manualSeed(0);
  const r = new ResNet({ depth: 18 });
  await check('resnet18', r, { inputSize: [32, 32], dynamicBatch: true }, [1, 3]);
});

test('CIFAR-stem ¼-width ResNet-18 with its SimCLR projector, fixed batch', async () => {
  torch.manualSeed(1);
  const r = new ResNet({ depth: 18, cifarStem: true, widthMultiplier: 0.25 });
  const neck = new NonLinearNeck({ inChannels: 128, hidChannels: 64, outChannels: 32, normCfg: { type: 'BN1d' } });
  await check('resnet18-w025-cifar', r, { inputSize: [16, 16], batchSize: 2 }, [2], neck);
});

test('ResNetV1d-50 at ¼ width: bottlenecks, deep stem, average-pool downsampling, odd input size', async () => {
  torch.manualSeed(2);
  const r = new ResNet({ depth: 50, v1d: true, widthMultiplier: 0.25 });
  await check('resnetv1d50-w025', r, { inputSize: [65, 61], dynamicBatch: true }, [2]);
});

test('tiny ViT (class token out, layer scale, qkv bias) with a dynamic batch', async () => {
  torch.manualSeed(3);
  const vit = new VisionTransformer({ embedDim: 32, depth: 2, numHeads: 4, imgSize: 32, patchSize: 8, layerScaleInit: 0.1 });
  await check('vit-tiny-cls', vit, { inputSize: [32, 32], dynamicBatch: true }, [1, 4]);
});

test('tiny ViT with average-pooled output, no qkv bias, at 36 px (padding + resized position embedding)', async () => {
  torch.manualSeed(4);
  const vit = new VisionTransformer({
    embedDim: 24,
    depth: 2,
    numHeads: 3,
    imgSize: 32,
    patchSize: 8,
    qkvBias: false,
    outType: 'avgFeatmap',
    posEmbed: 'sincos',
  });
  await check('vit-tiny-avg', vit, { inputSize: [36, 36], dynamicBatch: true, opset: 18 }, [2, 3]);
});

/** Random layer scales, GRN γ/β and LayerNorm affine parameters, all away from their identity init. */
function randomizeAffine(m: nn.AnyModule): void {
  torch.manualSeed(9);
  torch.noGrad(() => {
    for (const [name, p] of m.namedParameters()) {
      const leaf = name.split('.').pop();
      if (leaf?.startsWith('gamma') || (leaf === 'weight' && p.dim() === 1)) p.copy_(torch.rand(p.shape).mul_(0.5).add_(0.5));
      else if (leaf === 'beta' || leaf?.endsWith('_bias') || (leaf === 'bias' && p.dim() === 1))
        p.copy_(torch.randn(p.shape).mul_(0.1));
      else if (leaf === 'relative_position_bias_table') p.copy_(torch.randn(p.shape));
    }
  });
}

test('small ConvNeXt (pooled norm output, layer scale, Linear pointwise layers) with a dynamic batch', async () => {
  torch.manualSeed(5);
  const net = new ConvNeXt({ arch: { depths: [1, 1, 2, 1], channels: [16, 24, 32, 40] } });
  randomizeAffine(net);
  await check('convnext-small-gap', net, { inputSize: [64, 64], dynamicBatch: true }, [1, 3]);
});

test('ConvNeXt V2 (GRN, no layer scale, 1×1-conv pointwise) at an inner stage, map output, opset 18', async () => {
  torch.manualSeed(6);
  const net = new ConvNeXt({
    arch: { depths: [1, 2, 1], channels: [16, 24, 32] },
    useGrn: true,
    layerScaleInitValue: 0,
    linearPwConv: false,
    gapBeforeFinalNorm: false,
    outIndices: [1, 2],
    stemPatchSize: 2,
  });
  randomizeAffine(net);
  // Stage 0 of the outputs is out index 1: its norm1(map) (N, 24, 8, 8), pooled by the evaluation's GAP.
  const exported = exportOnnx(net, { inputSize: [32, 32], stage: 0 });
  assert.deepEqual(exported.outputs[0].shape, [1, 24]);
  await check('convnextv2-grn-map', net, { inputSize: [32, 32], dynamicBatch: true, opset: 18, stage: 0 }, [2]);
});

test('BEiT (shared relative position bias, q/v biases, layer scale, raw tokens) with a dynamic batch', async () => {
  torch.manualSeed(7);
  const net = new BEiTViT({ embedDim: 32, depth: 2, numHeads: 4, imgSize: 32, patchSize: 8 });
  randomizeAffine(net);
  await check('beit-shared-bias', net, { inputSize: [32, 32], dynamicBatch: true }, [1, 3]);
});

test('BEiT with per-block relative biases, an absolute position embedding and average-pooled output', async () => {
  torch.manualSeed(8);
  const net = new BEiTViT({
    embedDim: 24,
    depth: 3,
    numHeads: 2,
    imgSize: 24,
    patchSize: 8,
    relPosBias: true,
    absPosEmbed: true,
    outType: 'avgFeatmap',
    outIndices: [1, 2],
  });
  randomizeAffine(net);
  await check('beit-block-bias', net, { inputSize: [24, 24], dynamicBatch: true, stage: 0 }, [2]);
  // Its relative biases are made for the 3×3 grid: another input size is refused, naming the grid.
  assert.throws(() => exportOnnx(net, { inputSize: [32, 32] }), /made for a 3×3 patch grid.*gives 4×4/);
});

test('small Swin (shifted windows, a map exactly one window large) with a dynamic batch', async () => {
  torch.manualSeed(10);
  const net = new SwinTransformer({ embedDim: 16, depths: [2, 2], numHeads: [2, 4], windowSize: 4, imgSize: 32 });
  randomizeAffine(net);
  // 32 px / patch 4 = 8×8 tokens: four 4×4 windows, shifted in block 1; stage 1's 4×4 map is one window (no shift).
  await check('swin-small', net, { inputSize: [32, 32], dynamicBatch: true }, [1, 3]);
});

test('Swin with padding to whole windows, odd patch merging, padSmallMap and a resized absolute embedding', async () => {
  torch.manualSeed(11);
  const net = new SwinTransformer({
    embedDim: 8,
    depths: [2, 2, 2],
    numHeads: [2, 2, 4],
    windowSize: 4,
    imgSize: 32,
    useAbsPosEmbed: true,
    padSmallMap: true,
    qkvBias: false,
    outIndices: [1, 2],
  });
  randomizeAffine(net);
  // 40 px: 10×10 tokens (padded to 12×12 for the windows), merged to 5×5 (padded to 8×8), merged
  // again (odd: padded to 6×6 first) to 3×3, smaller than the window (padded to 4×4 and shifted,
  // since padSmallMap). The absolute embedding is made for 32 px and resized.
  await check('swin-padded', net, { inputSize: [40, 40], dynamicBatch: true }, [2]);
  await check('swin-padded-stage1', net, { inputSize: [40, 40], stage: 0, batchSize: 2 }, [2]);
});

test('MixMIM (non-shifted windows, patch merging, final tokens averaged) with a dynamic batch; only its imgSize', async () => {
  torch.manualSeed(12);
  // 32 px / patch 4 = 8×8 tokens in four 4×4 windows, merged to 4×4 (four 2×2 windows), merged again
  // to 2×2 (the window clamped to the map: one window).
  const net = new MixMIMTransformer({ embedDim: 8, depths: [1, 2, 1], numHeads: [1, 2, 4], windowSize: [4, 2, 4], imgSize: 32 });
  randomizeAffine(net);
  await check('mixmim', net, { inputSize: [32, 32], dynamicBatch: true }, [1, 3]);
  assert.throws(() => exportOnnx(net, { inputSize: [40, 40] }), /MixMIMTransformer takes 32×32 images.*got 40×40/);
});

test('HiViT (inner-patch MLP stem, patch merges, relative position bias, layer scale) with a dynamic batch; rpe only at its imgSize', async () => {
  torch.manualSeed(13);
  // 32 px / patch 8: a 4×4 grid, each patch 4×4 inner patches of 2 px (8 channels), merged to 2×2
  // (16) and 1×1 (32), then 3 attention blocks of 32 channels, 2 heads, the bias of the 4×4 grid.
  const net = new HiViT({
    embedDims: 32,
    depths: [1, 1, 3],
    numHeads: 2,
    imgSize: 32,
    patchSize: 8,
    rpe: true,
    layerScaleInit: 0.1,
  });
  randomizeAffine(net);
  await check('hivit-rpe', net, { inputSize: [32, 32], dynamicBatch: true }, [1, 3]);
  assert.throws(() => exportOnnx(net, { inputSize: [48, 48] }), /HiViT's relative position bias is made for a 4×4 patch grid/);
  assert.throws(() => exportOnnx(net, { inputSize: [36, 36] }), /multiples of its patch size 8, got 36×36/);
});

test('HiViT without rpe at 48×32 (resized position embedding), an inner block, no qkv bias; iTPN’s HiViT', async () => {
  torch.manualSeed(14);
  const net = new HiViT({
    embedDims: 32,
    depths: [2, 1, 3],
    numHeads: 4,
    imgSize: 32,
    patchSize: 8,
    qkvBias: false,
    outIndices: [1, 2],
  });
  randomizeAffine(net);
  await check('hivit-48x32-block1', net, { inputSize: [48, 32], stage: 0, batchSize: 2 }, [2]);
  await check('hivit-48x32', net, { inputSize: [48, 32], dynamicBatch: true }, [2]);
  // iTPN's pre-training backbone: LayerNorm eps 1e-6, patch 4 on 32 px, evaluated by HiViT's forward.
  const itpn = new ITPNHiViT({
    arch: 'tiny',
    embedDims: 32,
    numHeads: 2,
    depths: [1, 1, 2],
    imgSize: 32,
    patchSize: 4,
    normEps: 1e-6,
  });
  randomizeAffine(itpn);
  await check('itpn-hivit', itpn, { inputSize: [32, 32], dynamicBatch: true }, [2]);
});

test('unsupported modules and backbones are refused naming the module path and type', () => {
  class Swish extends nn.Module {
    forward(x: Tensor): Tensor {
      return x.mul(x.sigmoid());
    }
  }
  const g = new GraphBuilder(17);
  const seq = new nn.Sequential(new nn.Conv2d(3, 4, 3), new Swish());
  assert.throws(() => emitModule(g, seq, 'x', 'head'), /unsupported module 'head\.1' \(Swish\)/);

  class MyResNet extends ResNet {
    override forward(x: Tensor): Tensor[] {
      return super.forward(x).map((t) => t.relu());
    }
  }
  assert.throws(
    () => exportOnnx(new MyResNet({ depth: 18, widthMultiplier: 0.125 }), { inputSize: [32, 32] }),
    /unsupported module 'backbone' \(MyResNet\)/,
  );
  const vit = new VisionTransformer({ embedDim: 16, depth: 1, numHeads: 2, imgSize: 16, patchSize: 8 });
  assert.throws(
    () => exportOnnx(vit, { inputSize: [16, 16], opset: 16 }),
    /'backbone\.blocks\.0\.norm1' \(LayerNorm\).*opset 17/,
  );
  assert.throws(() => exportOnnx(vit, { inputSize: [16, 16], opset: 9 }), /opset must be one of/);
});
