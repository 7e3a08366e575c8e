/**
 * The work dir's `report.html` for a training run: curves from `log.jsonl`, the online kNN
 * accuracy and a t-SNE of the val features (when a kNN monitor ran), a grid of augmented views
 * of the training data, reconstructions of a masked-image-modelling model, evaluation tables and
 * timings.
 */
import * as torch from '@selfsup/torch';
import { augmentationGrid } from '../data/browse.js';
import { isReconstructor } from '../models/algorithms/reconstruction.js';
import { datasetReconstructionGrid } from '../visualization/reconstruction.js';
import { pipelineMaskGenerator } from './build-data.js';
import { type ReportExtras, writeReport } from '../evaluation/report.js';
import { KnnMonitorHook } from './hooks/knn-monitor-hook.js';
import type { Runner, TrainResult } from './runner.js';

/** Writes the run's report.html (see the file comment); `extra.tsne` replaces the kNN monitor's t-SNE. */
export async function writeRunReport(
  runner: Runner,
  result: TrainResult,
  extra: { evaluation?: Record<string, unknown>; timings?: Record<string, number>; tsne?: ReportExtras['tsne'] } = {},
): Promise<string> {
  const extras: ReportExtras = {
    timings: { pretrain: result.seconds, ...(extra.timings ?? {}) },
    ...(extra.evaluation ? { evaluation: extra.evaluation } : {}),
  };
  // The pictures read the training data under its onCorrupt policy: an image training skipped must
  // not fail the run at the report.
  const onCorrupt = runner.loader.o.onCorrupt;
  const views = runner.loader.o.views;
  if (views) extras.viewsPng = await augmentationGrid(runner.loader.dataset, views, { n: 6, seed: runner.seed, onCorrupt });
  const model = runner.model;
  if (isReconstructor(model)) {
    // Drawn in eval mode with the run's seed; the global generator is left as training left it.
    const rng = torch.getRngState();
    const training = model.training;
    model.eval();
    try {
      const grid = await datasetReconstructionGrid(model, runner.loader.dataset, {
        num: 6,
        seed: runner.seed,
        maskGenerator: pipelineMaskGenerator(runner.cfg),
        onCorrupt,
      });
      extras.reconstructionPng = grid.png;
    } finally {
      model.train(training);
      torch.setRngState(rng);
      rng.dispose();
    }
  }
  const monitor = runner.hooks.find((h): h is KnnMonitorHook => h instanceof KnnMonitorHook);
  // A caller's embedding (e.g. the demo's, of its whole test set) replaces the monitor's.
  if (extra.tsne) extras.tsne = extra.tsne;
  else if (monitor?.embedding) extras.tsne = monitor.embedding;
  return writeReport(runner.workDir, extras);
}
