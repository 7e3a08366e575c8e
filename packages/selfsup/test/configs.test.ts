/**
 * Every bundled config loads, validates, and builds its algorithm and augmentation; every
 * CPU-sized config also trains one step on random images through its own pipeline (so the
 * views and masks the pipeline makes are the ones the algorithm expects).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { bundledConfigs, CONFIG_DIR } from '../src/cli/list.js';
import { prepareConfig } from '../src/engine/config/prepare.js';
import { buildOptimWrapper } from '../src/engine/optim-builder.js';
import { buildViews } from '../src/data/register.js';
import { imageToTensor } from '../src/data/transforms/functional.js';
import { makeImage } from '../src/data/image.js';
import '../src/builtins.js';
import { ALGORITHMS } from '../src/models/registries.js';

const configs = bundledConfigs();
/** The ImageNet models already built (recipes that differ only in their schedule share one). */
const builtModels = new Set<string>();

test('the bundled configs cover every algorithm with a CPU-sized CIFAR-10 and an ImageNet recipe', () => {
  for (const algo of [
    'simclr',
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
    'mff',
    'mixmim',
    'maskfeat',
    'simmim',
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
        const model = ALGORITHMS.build(cfg.model, 'model');
        const width = rel.includes('resnet50')
          ? 2048
          : rel.includes('mixmim-base')
            ? 1024
            : { base: 768, large: 1024, huge: 1280 }[/vit-(base|large|huge)/.exec(rel)?.[1] ?? ''];
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
    const model = ALGORITHMS.build(modelCfg, 'model');
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
      model.train();
      const out = model.loss(batch, { epoch: 0, iter: 0, maxEpochs: 1, maxIters: 10 });
      ow.updateParams(out.loss);
      return out.loss.item();
    });
    assert.ok(Number.isFinite(loss), `${rel}: loss ${loss}`);
    model.dispose();
  });
}
