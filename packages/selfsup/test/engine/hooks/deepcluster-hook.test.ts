/**
 * DeepClusterHook in the Runner: it clusters at the start of every epoch (initial + interval 1),
 * the pseudo-labels are k-means of the PCA-whitened features of the model as it is at that moment
 * (recomputed here from the same components), they reach the loss by dataset index, the training
 * sampler becomes class-balanced, the classifier is re-initialised, and a resumed run keeps the
 * labels (no re-clustering mid-epoch) and reproduces the uninterrupted losses.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { F } from '@selfsup/torch';
import { kmeans } from '../../../src/analysis/kmeans.js';
import { preprocessFeatures } from '../../../src/analysis/pca.js';
import { DeepClusterSampler } from '../../../src/data/loader/deepcluster-sampler.js';
import { DataLoader } from '../../../src/data/loader/loader.js';
import { validateConfig } from '../../../src/engine/config/config.js';
import type { ConfigObject } from '../../../src/engine/config/merge.js';
import { DeepClusterHook } from '../../../src/engine/hooks/deepcluster-hook.js';
import { Hook, type RunnerView } from '../../../src/engine/hooks/hook.js';
import { Runner } from '../../../src/engine/runner.js';
import type { DeepCluster } from '../../../src/models/algorithms/deepcluster.js';
import { ALGORITHMS } from '../../../src/models/registries.js';
import { HOOKS } from '../../../src/engine/registries.js';
import { definePart, registerParts } from '../../../src/core/registry.js';
import { z } from '../../../src/core/schema.js';
import { losses } from '../parts.js';
import '../../../src/builtins.js';

torch.setNumThreads(1);

const model = {
  type: 'DeepCluster',
  backbone: { type: 'ResNet', depth: 18, widthMultiplier: 0.125, cifarStem: true },
  neck: { type: 'AvgPool2dNeck' },
  head: { type: 'ClsHead', inChannels: 64, numClasses: 3 },
};
const data = { type: 'TestArray', n: 16, size: 8 };

/** What the probe saw at each epoch start, after DeepClusterHook. */
const seen: { epoch: number; labels: number[]; headBias: number; uniform: boolean }[] = [];

class ProbeHook extends Hook {
  override priority = 80;
  override beforeTrainEpoch(r: RunnerView): void {
    const m = r.model as DeepCluster;
    seen.push({
      epoch: r.progress.epoch,
      labels: (m.pseudoLabels?.toList() as number[]) ?? [],
      headBias: torch.tidy(() => m.head.fc_cls.bias?.abs().max().item() ?? -1),
      uniform: r.loader?.sampler instanceof DeepClusterSampler && r.loader.sampler.uniform,
    });
  }
}
registerParts([
  definePart({
    registry: HOOKS,
    name: 'DCProbeHook',
    schema: z.strictObject({}),
    description: 'test probe',
    build: () => new ProbeHook(),
  }),
]);

function config(stopAt?: number, dc: Record<string, unknown> = {}) {
  return {
    model,
    trainDataloader: { batchSize: 4, dataset: data },
    optimWrapper: { optimizer: { type: 'SGD', lr: 0.02, momentum: 0.9, weightDecay: 1e-5 } },
    trainCfg: { type: 'EpochBasedTrainLoop' as const, maxEpochs: 2 },
    defaultHooks: { logger: { interval: 100 }, checkpoint: { interval: 1 } },
    customHooks: [
      {
        type: 'DeepClusterHook',
        extractDataloader: { dataset: data, batchSize: 8 },
        clustering: { type: 'Kmeans', k: 3, pcaDim: 8 },
        unifSampling: true,
        reweight: false,
        reweightPow: 0.5,
        ...dc,
      },
      { type: 'DCProbeHook' },
      { type: 'RecordingHook', name: 'loss', ...(stopAt ? { stopAt } : {}) },
    ],
    randomness: { seed: 3 },
  };
}

async function run(workDir: string, stopAt?: number, resume?: boolean) {
  losses.length = 0;
  seen.length = 0;
  const runner = new Runner(validateConfig(config(stopAt) as unknown as ConfigObject), { workDir, quiet: true, resume });
  await runner.train();
  const hook = runner.hooks.find((h) => h instanceof DeepClusterHook) as DeepClusterHook;
  return { runner, hook, losses: [...losses], seen: [...seen] };
}

/** The 16 training images `(16, 3, 8, 8)` uint8 in index order, as the loader makes them. */
async function allImages(runner: Runner): Promise<torch.Tensor> {
  const loader = new DataLoader(runner.loader.dataset, { batchSize: 16 });
  for await (const b of loader) {
    const x = torch.keep(b.views[0].clone());
    b.dispose();
    return x;
  }
  throw new Error('no batch');
}

const tmp = () => mkdtempSync(join(tmpdir(), 'selfsup-dc-'));

test('DeepClusterHook: clusters at every epoch start; labels = k-means of the whitened features; balanced sampler; new head', async () => {
  const straight = await run(tmp());
  assert.deepEqual(
    straight.hook.history.map((h) => h.epoch),
    [0, 1],
  );
  assert.deepEqual(
    straight.seen.map((s) => s.epoch),
    [0, 1],
  );
  for (const s of straight.seen) {
    assert.equal(s.labels.length, 16);
    assert.ok(s.uniform, 'the training sampler is the class-balanced one');
    assert.equal(s.headBias, 0, 'the classifier is re-initialised (bias 0) at each clustering');
  }
  // Epoch 0's labels: the same pipeline run here on a model built with the runner's seed.
  torch.manualSeed(3);
  const fresh = ALGORITHMS.build(model, 'model') as DeepCluster;
  fresh.eval();
  const imgs = await allImages(straight.runner);
  const expected = torch.tidy(() => {
    const feats = torch.inferenceMode(() => fresh.clusteringFeatures(imgs)).clone();
    const r = kmeans(preprocessFeatures(feats, 8), { k: 3, niter: 20, seed: 0, maxPointsPerCentroid: 10_000_000 });
    return r.labels.toList() as number[];
  });
  assert.deepEqual(straight.seen[0].labels, expected);
  // The loss targets are the pseudo-labels of the batch's dataset indices.
  const m = straight.runner.model as DeepCluster;
  m.eval();
  const views = [imgs.indexSelect(0, torch.tensor([0, 5, 9], { dtype: 'int64' }))];
  const idx = torch.tensor([0, 5, 9], { dtype: 'int64' });
  torch.tidy(() => {
    const [scores] = m.head.logits(m.neck.forward(m.extractFeat(m.preprocess(views[0]))));
    const labels = straight.hook.labels as readonly number[];
    const target = torch.tensor(
      [0, 5, 9].map((i) => labels[i]),
      { dtype: 'int64' },
    );
    const byHand = F.crossEntropy(scores, target).item();
    const viaLoss = m.loss({ views, idx }).loss.item();
    assert.ok(
      Math.abs(viaLoss - byHand) < 1e-6 * (1 + Math.abs(byHand)),
      `${viaLoss} vs ${byHand}; ${m.pseudoLabels?.toList()} vs ${labels}`,
    );
    // Other labels, other loss.
    m.assignLabels(
      torch.tensor(
        labels.map((l) => (l + 1) % 3),
        { dtype: 'int64' },
      ),
    );
    assert.ok(Math.abs(m.loss({ views, idx }).loss.item() - byHand) > 1e-3 * (1 + Math.abs(byHand)));
  });
});

test('DeepClusterHook: a resumed run keeps the pseudo-labels (hook state) and reproduces the losses', async () => {
  const straight = await run(tmp());
  const dir = tmp();
  await run(dir, 6);
  const resumed = await run(dir, undefined, true);
  assert.equal(resumed.hook.history.length, 0, 'no clustering on a mid-epoch resume');
  assert.deepEqual(resumed.hook.labels, straight.hook.labels);
  assert.deepEqual(resumed.seen[0].labels, straight.seen[1].labels);
  assert.equal(resumed.losses.length, 2);
  resumed.losses.forEach((l, i) => {
    assert.ok(Math.abs(l - straight.losses[6 + i]) < 1e-6, `iteration ${6 + i}: ${l} vs ${straight.losses[6 + i]}`);
  });
});

test('DeepClusterHook: k must equal the head’s numClasses; the extract dataset the training one’s size', async () => {
  const bad = config(undefined, { clustering: { type: 'Kmeans', k: 4, pcaDim: 8 } });
  const r1 = new Runner(validateConfig(bad as unknown as ConfigObject), { workDir: tmp(), quiet: true });
  await assert.rejects(r1.train(), /clustering\.k = 4 but the head has numClasses = 3/);
  const bad2 = config(undefined, { extractDataloader: { dataset: { ...data, n: 12 }, batchSize: 8 } });
  const r2 = new Runner(validateConfig(bad2 as unknown as ConfigObject), { workDir: tmp(), quiet: true });
  await assert.rejects(r2.train(), /12 samples, the training dataset 16/);
});
