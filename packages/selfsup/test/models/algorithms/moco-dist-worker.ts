/**
 * One rank of the 2-process shuffle-BN / enqueue check (run by moco.test.ts): rank r holds rows
 * whose value is their global index 3r … 3r+2.
 */
import * as torch from '@selfsup/torch';
import { batchShuffle, batchUnshuffle, enqueue } from '../../../src/models/algorithms/queue.js';

torch.distributed.initProcessGroup();
const rank = torch.distributed.getRank();
torch.manualSeed(0);
const out = torch.tidy(() => {
  const x = torch
    .arange(3 * rank, 3 * rank + 3, 1, { dtype: 'float32' })
    .unsqueeze(1)
    .expand(-1, 2)
    .contiguous();
  const { x: shuffled, idxUnshuffle } = batchShuffle(x);
  const restored = batchUnshuffle(shuffled, idxUnshuffle);
  const queue = torch.full([2, 8], -1);
  const ptr = torch.zeros([1], { dtype: 'int64' });
  enqueue(queue, ptr, x);
  return {
    rank,
    shuffled: shuffled.select(1, 0).toList() as number[],
    restored: restored.select(1, 0).toList() as number[],
    ptr: ptr.item(),
    queue: queue.toList() as number[][],
  };
});
torch.distributed.destroyProcessGroup();
console.log(JSON.stringify(out));
