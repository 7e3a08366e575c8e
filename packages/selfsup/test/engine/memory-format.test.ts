import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { py } from '../helpers.js';
import { validateConfig } from '../../src/engine/config/config.js';
import type { ConfigObject } from '../../src/engine/config/merge.js';
import { useChannelsLast } from '../../src/engine/memory-format.js';
import { Runner } from '../../src/engine/runner.js';
import { ALGORITHMS } from '../../src/models/registries.js';
import type { Algorithm } from '../../src/models/algorithms/base.js';
import './parts.js';
import '../../src/builtins.js';

const resnet = { type: 'ResNet', depth: 18, widthMultiplier: 0.125, cifarStem: true };

/** SimCLR on a tiny ResNet and 16 seeded 8 px images, two iterations, in the given memory format. */
function simclrConfig(memoryFormat: string | undefined) {
  return {
    model: {
      type: 'SimCLR',
      backbone: resnet,
      neck: { type: 'NonLinearNeck', inChannels: 64, hidChannels: 32, outChannels: 16, numLayers: 2, withAvgPool: true },
      head: { type: 'ContrastiveHead', temperature: 0.2 },
    },
    trainDataloader: {
      batchSize: 8,
      dataset: {
        type: 'TestArray',
        n: 16,
        size: 8,
        pipeline: { type: 'MultiView', numViews: 2, transforms: [[{ type: 'RandomFlip', prob: 0.5 }]] },
      },
    },
    optimWrapper: { optimizer: { type: 'SGD', lr: 0.1, momentum: 0.9, weightDecay: 1e-4 } },
    trainCfg: { type: 'IterBasedTrainLoop', maxIters: 2 },
    defaultHooks: { logger: { interval: 1 }, checkpoint: { interval: 2 } },
    randomness: { seed: 5 },
    ...(memoryFormat === undefined ? {} : { memoryFormat }),
  };
}

async function train(memoryFormat: string | undefined) {
  const workDir = mkdtempSync(join(tmpdir(), 'selfsup-memfmt-'));
  const runner = new Runner(validateConfig(simclrConfig(memoryFormat) as unknown as ConfigObject), { workDir, quiet: true });
  const result = await runner.train();
  return { runner, result };
}

test('channels_last training gives the contiguous run within float32 rounding, and checkpoints stay contiguous', async () => {
  const cl = await train('channelsLast');
  const plain = await train('contiguous');
  assert.equal(cl.runner.channelsLast, true);
  assert.equal(plain.runner.channelsLast, false);
  // The weights train in channels_last strides.
  const conv = cl.runner.model.backbone.stateDict()['conv1.weight'];
  assert.equal(conv.isContiguous('channelsLast'), true);
  assert.equal(conv.isContiguous(), false);
  assert.ok(
    Math.abs(cl.result.loss - plain.result.loss) < 1e-4 * Math.abs(plain.result.loss),
    `${cl.result.loss} vs ${plain.result.loss}`,
  );
  // PyTorch reads the channels_last run's checkpoint as contiguous tensors equal to the other run's.
  const r = py<{ allContiguous: boolean; n4d: number; maxDiff: number }>(
    `
a = torch.load(D['cl'])['state_dict']; b = torch.load(D['plain'])['state_dict']
four = [k for k, v in a.items() if v.dim() == 4]
OUT = {'allContiguous': all(v.is_contiguous() for v in a.values()), 'n4d': len(four),
  'maxDiff': max(float((a[k].double() - b[k].double()).abs().max()) for k in a if a[k].is_floating_point())}`,
    { cl: cl.result.checkpoint, plain: plain.result.checkpoint },
  );
  assert.equal(r.allContiguous, true);
  assert.ok(r.n4d >= 20, `${r.n4d} conv weights`);
  assert.ok(r.maxDiff < 1e-4, `max |Δ| ${r.maxDiff}`);
});

test('memoryFormat auto: channels_last for a ResNet on the CPU only', async () => {
  const auto = await train(undefined);
  assert.equal(auto.runner.channelsLast, true);
  torch.manualSeed(0);
  const vit = ALGORITHMS.build(
    {
      type: 'SimCLR',
      backbone: { type: 'VisionTransformer', arch: 'tiny', imgSize: 8, patchSize: 4 },
      neck: {
        type: 'NonLinearNeck',
        inChannels: 192,
        hidChannels: 16,
        outChannels: 8,
        numLayers: 2,
        withAvgPool: false,
        vitBackbone: true,
      },
      head: { type: 'ContrastiveHead', temperature: 0.2 },
    } as never,
    'model',
  ) as Algorithm;
  assert.equal(useChannelsLast('auto', vit, 'cpu'), false);
  assert.equal(useChannelsLast('auto', auto.runner.model, 'cuda:0'), false);
  assert.equal(useChannelsLast('channelsLast', vit, 'cpu'), true);
  assert.equal(useChannelsLast('contiguous', auto.runner.model, 'cpu'), false);
});
