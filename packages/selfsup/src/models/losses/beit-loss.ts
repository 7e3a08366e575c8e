/**
 * MMSelfSup's `BEiTLoss` (Bao et al. 2022, BEiT; Peng et al. 2022, BEiT v2): the mean cross-entropy
 * of visual-token logits `(M, V)` against the tokenizer's ids `(M)` int64, over the M masked patches.
 */
import { F, nn, type Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { z } from '../../core/schema.js';
import { LOSSES } from '../registries.js';

export const beitLossSchema = z.strictObject({});

/** Cross-entropy over masked patches' visual-token ids. */
export class BEiTLoss extends nn.Module<[Tensor, Tensor], Tensor> {
  forward(logits: Tensor, target: Tensor): Tensor {
    if (logits.dim() !== 2 || target.dim() !== 1 || target.shape[0] !== logits.shape[0])
      throw new RangeError(`BEiTLoss: expected logits (M, V) and ids (M), got [${logits.shape}] and [${target.shape}]`);
    return F.crossEntropy(logits, target);
  }
}

export const beitLossPart = definePart({
  registry: LOSSES,
  name: 'BEiTLoss',
  schema: beitLossSchema,
  description: 'BEiT: cross-entropy of visual-token logits against the tokenizer ids',
  build: () => new BEiTLoss(),
});
