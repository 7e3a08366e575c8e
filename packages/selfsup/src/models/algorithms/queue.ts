/**
 * The memory of the queue-based contrastive algorithms (MoCo, DenseCL; He et al. 2020,
 * arXiv:1911.05722): a ring buffer of normalised keys `(D, K)` and shuffle-BN across processes.
 */
import * as torch from '@selfsup/torch';
import { F, type Tensor } from '@selfsup/torch';

/**
 * Shuffle-BN, step 1 (MoCo §3.3): distributed, the global batch is permuted (rank 0's permutation,
 * broadcast) and each process gets its share, so a key's BN statistics come from other images
 * than its query's. In one process it is the identity (BN is invariant to a permutation within
 * the batch). Returns this process's shuffled rows and the permutation that undoes it.
 */
export function batchShuffle(x: Tensor): { x: Tensor; idxUnshuffle: Tensor | null } {
  const world = torch.distributed.getWorldSize();
  if (world <= 1) return { x, idxUnshuffle: null };
  return torch.tidy(() => {
    const all = torch.cat(torch.distributed.allGather(x.contiguous()), 0);
    const total = all.shape[0];
    // Drawn on the CPU generator (as MMSelfSup's randperm), broadcast from x's device (NCCL needs GPU tensors).
    const idxShuffle = (
      torch.distributed.getRank() === 0 ? torch.randperm(total) : torch.zeros([total], { dtype: 'int64' })
    ).to({ device: x.device });
    torch.distributed.broadcast(idxShuffle, 0);
    const mine = idxShuffle.view([world, -1]).select(0, torch.distributed.getRank());
    return { x: all.indexSelect(0, mine), idxUnshuffle: idxShuffle.argsort() };
  });
}

/** Shuffle-BN, step 2: puts rows computed on shuffled inputs back in this process's original order. */
export function batchUnshuffle(x: Tensor, idxUnshuffle: Tensor | null): Tensor {
  if (idxUnshuffle === null) return x;
  const world = torch.distributed.getWorldSize();
  return torch.tidy(() => {
    const all = torch.cat(torch.distributed.allGather(x.contiguous()), 0);
    const mine = idxUnshuffle.view([world, -1]).select(0, torch.distributed.getRank()).to({ device: x.device });
    return all.indexSelect(0, mine);
  });
}

/** A queue `(D, K)` of L2-normalised random columns, as MoCo starts with. */
export function randomQueue(featDim: number, queueLen: number): Tensor {
  return torch.noGrad(() => torch.tidy(() => F.normalize(torch.randn([featDim, queueLen]), { dim: 0 })));
}

/**
 * Writes every process's `keys (N, D)` into the ring buffer `queue (D, K)` at `ptr (1)` (wrapping
 * around the end) and advances `ptr` by the global batch size, modulo K.
 */
export function enqueue(queue: Tensor, ptr: Tensor, keys: Tensor): void {
  torch.noGrad(() =>
    torch.tidy(() => {
      const all = torch.distributed.getWorldSize() > 1 ? torch.cat(torch.distributed.allGather(keys.contiguous()), 0) : keys;
      const b = all.shape[0];
      const k = queue.shape[1];
      if (b > k) throw new RangeError(`enqueue: ${b} keys do not fit a queue of ${k}`);
      const p = ptr.item();
      const cols = torch.arange(p, p + b, 1, { dtype: 'int64', device: queue.device }).remainder(k);
      queue.indexPut_([':', cols], all.t().to({ dtype: queue.dtype }));
      ptr.fill_((p + b) % k);
    }),
  );
}
