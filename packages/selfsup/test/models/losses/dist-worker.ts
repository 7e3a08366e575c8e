/**
 * One rank of the 2-process check of the gathered contrastive losses (run by ntxent.test.ts):
 * rank r takes rows [rN, (r+1)N) of a global batch, computes the losses with every rank's rows
 * as negatives, and prints its losses and gradients as JSON.
 */
import * as torch from '@selfsup/torch';
import { infoNceLoss } from '../../../src/models/losses/info-nce.js';
import { ntxentLoss } from '../../../src/models/losses/ntxent.js';
import { globalBatch, PER_RANK } from './dist-data.js';

torch.distributed.initProcessGroup();
const rank = torch.distributed.getRank();
const out = torch.tidy(() => {
  const g = globalBatch();
  const mine = (t: torch.Tensor) =>
    t
      .narrow(0, rank * PER_RANK, PER_RANK)
      .detach()
      .requiresGrad_(true);
  const z1 = mine(g.z1);
  const z2 = mine(g.z2);
  const loss = ntxentLoss(z1, z2, { temperature: 0.3 });
  loss.backward();
  const local = ntxentLoss(z1.detach(), z2.detach(), { temperature: 0.3, gather: false }).item();
  const q = mine(g.z1);
  const k = g.z2.narrow(0, rank * PER_RANK, PER_RANK);
  const nce = infoNceLoss(q, k, { temperature: 0.2 });
  nce.backward();
  return {
    rank,
    world: torch.distributed.getWorldSize(),
    loss: loss.item(),
    local,
    g1: (z1.grad as torch.Tensor).toList(),
    g2: (z2.grad as torch.Tensor).toList(),
    nce: nce.item(),
    gq: (q.grad as torch.Tensor).toList(),
  };
});
torch.distributed.destroyProcessGroup();
console.log(JSON.stringify(out));
