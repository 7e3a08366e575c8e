/**
 * The all-gather both memory banks (NPID's SimpleMemory, ODC's ODCMemory) update with: every
 * process writes every process's rows, so the banks stay identical across processes.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';

/** `idx (N)`, `rows (N, D)` of every process, concatenated in rank order (as given in one process). */
export function gatherRows(idx: Tensor, rows: Tensor): { idx: Tensor; rows: Tensor } {
  if (torch.distributed.getWorldSize() <= 1) return { idx, rows };
  return {
    idx: torch.cat(torch.distributed.allGather(idx.contiguous()), 0),
    rows: torch.cat(torch.distributed.allGather(rows.contiguous()), 0),
  };
}

/** Throws unless `idx` is `(N)` integer indices in `[0, length)`. */
export function checkIndices(idx: Tensor, length: number, who: string): void {
  if (idx.dim() !== 1) throw new RangeError(`${who}: expected (N) dataset indices, got shape [${idx.shape}]`);
  if (idx.shape[0] === 0) return;
  const lo = idx.min().item();
  const hi = idx.max().item();
  if (lo < 0 || hi >= length)
    throw new RangeError(
      `${who}: dataset index ${hi >= length ? hi : lo} is outside the memory bank's ${length} rows (memoryBank.length must be the training set's size)`,
    );
}
