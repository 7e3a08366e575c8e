/**
 * Every bundled config loads, validates, and builds its algorithm and augmentation; every
 * CPU-sized config also trains one step on random images through its own pipeline (so the
 * views and masks the pipeline makes are the ones the algorithm expects).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import * as torch from '@selfsup/torch';
import { bundledConfigs, CONFIG_DIR } from '../src/cli/list.js';
import { preloadConfigs } from '../src/engine/config/load.js';
import { prepareConfig } from '../src/engine/config/prepare.js';
import { buildOptimWrapper } from '../src/engine/optim-builder.js';
import { buildViews } from '../src/data/register.js';
import { imageToTensor } from '../src/data/transforms/functional.js';
import { makeImage } from '../src/data/image.js';
import '../src/builtins.js';
import { ALGORITHMS } from '../src/models/registries.js';
import { ODC } from '../src/models/algorithms/odc.js';
import { DallEEncoder } from '../src/models/target-generators/dall-e.js';
import { VQKD } from '../src/models/target-generators/vqkd.js';
import { DeepCluster } from '../src/models/algorithms/deepcluster.js';
import { writeRandomClip } from './models/target-generators/clip-teacher.js';

const configs = bundledConfigs();
// One config process for all of them instead of one each (~0.3 s a start on CI's 2 cores).
preloadConfigs(configs.map((rel) => join(CONFIG_DIR, rel)));
/**
 * A teacher recipe (EVA, MILAN: `CLIPGenerator`) with its teacher swapped for a seeded random CLIP
 * of the recipe's grid and feature width but 8 wide and one block: the real one (CLIP ViT-B/16,
 * 86 M weights) is the user's file, and nothing is downloaded. Other models pass through.
 */
function withTinyTeacher(model: Record<string, unknown>): Record<string, unknown> {
  const t = model.targetGenerator as Record<string, unknown> | undefined;
  if (t?.type !== 'CLIPGenerator') return model;
  const arch = {
    imgSize: (t.imgSize as number | undefined) ?? 224,
    patchSize: (t.patchSize as number | undefined) ?? 16,
    outputDim: (t.outputDim as number | undefined) ?? 512,
    embedDim: 8,
    depth: 1,
    numHeads: 1,
  };
  const file = writeRandomClip(arch);
  teacherFiles.push(file);
  return { ...model, targetGenerator: { ...t, ...arch, tokenizerPath: file } };
}
const teacherFiles: string[] = [];
after(() => {
  for (const f of teacherFiles) rmSync(dirname(f), { recursive: true, force: true });
});

/**
 * BEiT's configs name a tokenizer file the user supplies (the released DALL-E / VQ-KD weights); here
 * each is replaced by a seeded random tokenizer of the config's architecture, written once per
 * architecture to a temp file, so the configs build and train without the release.
 */
const tokDir = mkdtempSync(join(tmpdir(), 'selfsup-config-tok-'));
after(() => rmSync(tokDir, { recursive: true, force: true }));
const tokenizers = new Map<string, string>();
function withTokenizer<M>(model: M): M {
  const tg = (model as { targetGenerator?: { type: string; tokenizerPath?: string } }).targetGenerator;
  if (!tg || (tg.type !== 'DALL-E' && tg.type !== 'VQKD')) return model;
  const { type, tokenizerPath: _, ...opts } = tg;
  const key = JSON.stringify([type, opts]);
  let path = tokenizers.get(key);
  if (!path) {
    path = join(tokDir, `tok${tokenizers.size}.pth`);
    torch.manualSeed(0);
    const tok = type === 'DALL-E' ? new DallEEncoder(opts) : new VQKD(opts);
    torch.save(tok.stateDict(), path);
    tok.dispose();
    tokenizers.set(key, path);
  }
  return { ...model, targetGenerator: { ...tg, tokenizerPath: path } };
}
/** The ImageNet models already built (recipes that differ only in their schedule share one). */
const builtModels = new Set<string>();

test('the bundled configs cover every algorithm with a CPU-sized CIFAR-10 and an ImageNet recipe', () => {
  for (const algo of [
    'simclr',
    'mocov1',
    'mocov2',
    'mocov3',
    'byol',
    'simsiam',
    'barlowtwins',
    'swav',
    'densecl',
    'vicreg',
    'dino',
    'mae',
    'pixmim',
    'eva',
    'milan',
    'mff',
    'itpn',
    'mixmim',
    'maskfeat',
    'simmim',
    'beit',
    'beitv2',
    'cae',
    'spark',
    'rotation_pred',
    'relative_loc',
    'deepcluster',
    'npid',
    'odc',
  ]) {
    assert.ok(
      configs.some((c) => c.startsWith(`${algo}/`) && c.endsWith('_cifar10.ts')),
      `${algo} CIFAR-10`,
    );
    assert.ok(
      configs.some((c) => (c.startsWith(`${algo}/`) && c.endsWith('_in1k.ts')) || c.includes('_in1k-')),
      `${algo} ImageNet`,
    );
  }
});

for (const rel of configs) {
  test(`config ${rel}`, () => {
    const cfg = prepareConfig(join(CONFIG_DIR, rel));
    const views = buildViews(cfg.trainDataloader.dataset.pipeline, 'pipeline');
    const cpuSized = !(rel.endsWith('_in1k.ts') || rel.includes('_in1k-'));
    if (!cpuSized) {
      // Building an ImageNet recipe checks every part's options (and that they fit together);
      // training it is for machines with time.
      const key = JSON.stringify(cfg.model);
      if (builtModels.has(key)) return;
      builtModels.add(key);
      torch.tidy(() => {
        // Initialisers skipped: the options and shapes are what is checked, and a ViT-L's
        // truncated-normal init alone takes a minute on 2 cores.
        const model = torch.nn.init.skipInit(() =>
          ALGORITHMS.build(withTokenizer(withTinyTeacher(cfg.model) as typeof cfg.model), 'model'),
        );
        const widths: Record<string, number> = {
          'vit-small': 384,
          'vit-base': 768,
          'vit-large': 1024,
          'vit-huge': 1280,
          'swin-base': 1024,
          'mixmim-base': 1024,
          'hivit-base': 512,
          'hivit-large': 768,
        };
        const width = rel.includes('resnet50')
          ? 2048
          : /convnext(v2)?-(tiny|small)/.test(rel)
            ? 768
            : widths[/(hivit|vit|swin|mixmim)-(small|base|large|huge)/.exec(rel)?.[0] ?? ''];
        assert.equal(model.backbone.numFeatures, width, 'the backbone the name says');
        model.dispose();
      });
      return;
    }
    // A Swin-B recipe trains one step at its own crop size (192 px, so one image) with one block per
    // stage: its options and shapes (mask grid, stride, widths) are all checked at a fraction of the cost.
    const swinB = rel.includes('swin-base');
    const modelCfg = swinB ? { ...cfg.model, backbone: { ...cfg.model.backbone, depths: [1, 1, 1, 1] } } : cfg.model;
    torch.manualSeed(0);
    const model = ALGORITHMS.build(withTokenizer(withTinyTeacher(modelCfg) as typeof modelCfg), 'model');
    if (swinB) assert.equal(model.backbone.numFeatures, 1024);
    const ow = buildOptimWrapper(cfg.optimWrapper, model);
    const channels = rel.includes('fashion-mnist') ? 1 : 3;
    const size = rel.includes('fashion-mnist') ? 28 : 32;
    const loss = torch.tidy(() => {
      const g = new torch.Generator().manualSeed(1);
      const n = swinB ? 1 : 4;
      const imgs = Array.from({ length: n }, () =>
        imageToTensor(
          makeImage(
            torch
              .randint(0, 256, [size * size * channels], { generator: g })
              .to({ dtype: 'uint8' })
              .toTypedArray() as Uint8Array,
            size,
            size,
            channels,
          ),
        ),
      );
      // The masks too (SimMIM's pipeline ends in a mask generator), as the loader packs them.
      const idx = Array.from({ length: n }, (_, i) => i);
      const batch = { ...views.applyBatchWithMasks(imgs, 0, 0, idx), idx: torch.arange(n) };
      assert.equal(batch.views.length, views.totalViews);
      assert.equal(batch.masks.length, views.totalMasks);
      // Memory banks (NPID, ODC) are sized by the dataset; ODC's memory starts clustered (its hook's k-means).
      const rows = model instanceof ODC ? Math.max(n, model.numClasses) : n;
      model.setDatasetLength(rows);
      if (model instanceof ODC)
        model.memoryBank.initMemory(
          torch.randn([rows, model.memoryBank.featDim]),
          torch.arange(rows).remainder(model.numClasses),
        );
      model.train();
      // DeepCluster's pseudo-labels come from its hook's clustering; any labels do for one step.
      if (model instanceof DeepCluster) model.assignLabels(torch.arange(n).remainder(model.numClasses));
      const out = model.loss(batch, { epoch: 0, iter: 0, maxEpochs: 1, maxIters: 10 });
      ow.updateParams(out.loss);
      return out.loss.item();
    });
    assert.ok(Number.isFinite(loss), `${rel}: loss ${loss}`);
    model.dispose();
  });
}
