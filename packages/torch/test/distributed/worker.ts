// One rank of the distributed test: runs the collectives and prints what it saw as JSON.
import * as torch from '../../src/index.js';

const rank = Number(process.env.RANK);
torch.distributed.initProcessGroup();
const world = torch.distributed.getWorldSize();
const out: Record<string, unknown> = { rank, world };
torch.tidy(() => {
  const a = torch.tensor([rank + 1, 10 * (rank + 1)], { dtype: 'float32' });
  torch.distributed.allReduce(a);
  out.sum = a.toList();
  const m = torch.tensor([rank, -rank], { dtype: 'float64' });
  torch.distributed.allReduce(m, { op: 'max' });
  out.max = m.toList();
  const v = torch.full([3], rank + 1, { dtype: 'float32' });
  torch.distributed.allReduce(v, { op: 'avg' });
  out.avg = v.toList();
  out.gathered = torch.distributed.allGather(torch.tensor([[rank, rank * 2]])).map((t) => t.toList());
  const b = rank === 0 ? torch.tensor([7, 8, 9]) : torch.zeros([3], { dtype: 'int64' });
  torch.distributed.broadcast(b, 0);
  out.bcast = b.toList();
  // Gradient through allGatherWithGrad: loss = Σ_r w_r · sum(x_r) with x_r = rank r's input, so
  // d loss / d x_rank = Σ over ranks of each rank's w_rank (every rank computes the same loss).
  const x = torch.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
  const parts = torch.distributed.allGatherWithGrad(x.mul(rank + 1));
  out.gatheredWithGrad = parts.map((p) => p.toList());
  const loss = torch.stack(parts.map((p, r) => p.sum().mul(r + 10))).sum();
  loss.backward();
  out.grad = x.grad?.toList();
  torch.distributed.barrier();
});
torch.distributed.destroyProcessGroup();
console.log(JSON.stringify(out));
