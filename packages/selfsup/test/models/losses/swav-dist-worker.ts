/**
 * One rank of the 2-process check of SwAV's global queue length (run by swav.test.ts): a SwAVLoss
 * with queueLength 10 and 2 samples per rank (global batch 4) keeps 10 / 2 = 5 rows and uses the
 * 8 / 2 = 4 of the length trimmed to a multiple of the global batch (MMSelfSup's SwAVHook). Prints
 * the queue's shape, the rows used and which rows two calls filled, as JSON.
 */
import * as torch from '@selfsup/torch';
import { SwAVLoss } from '../../../src/models/losses/swav.js';

torch.distributed.initProcessGroup();
const rank = torch.distributed.getRank();
const out = torch.tidy(() => {
  torch.manualSeed(rank);
  const loss = new SwAVLoss({ featDim: 4, numPrototypes: 5, numCrops: [2], queueLength: 10, epochQueueStarts: 0 }).to('float64');
  for (const iter of [0, 1]) {
    const x = torch.F.normalize(torch.randn([4, 4], { dtype: 'float64' }), { dim: 1 });
    loss.forward(x, { epoch: 0, iter, maxEpochs: 1, maxIters: 2 });
  }
  const queue = loss.queue as torch.Tensor;
  return {
    world: torch.distributed.getWorldSize(),
    shape: queue.shape,
    rows: loss.queueRows(2),
    filled: Array.from({ length: queue.shape[1] }, (_, i) => queue.select(0, 0).select(0, i).ne(0).any().item() === 1),
  };
});
torch.distributed.destroyProcessGroup();
console.log(JSON.stringify(out));
