/** 100 epochs: 5 epochs of linear warm-up, then cosine to 0 (per iteration); checkpoints every 5 epochs, best by online kNN. */
import { defineConfig, epochs, warmupCosine } from 'selfsup/config';

export default defineConfig({
  paramScheduler: warmupCosine(5, 100),
  trainCfg: epochs(100),
  defaultHooks: { logger: { interval: 20 }, checkpoint: { interval: 5, maxKeepCkpts: 2, saveBest: 'knn_top1' } },
});
