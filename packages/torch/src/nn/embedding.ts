/** Embedding: a lookup table of `num` vectors of size `dim`. */
import { empty } from '../creation.js';
import { noGrad } from '../autograd.js';
import * as F from '../functional.js';
import type { Tensor } from '../tensor.js';
import { normal_ } from './init.js';
import { Module } from './module.js';

export class Embedding extends Module {
  readonly weight: Tensor;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    readonly o: { paddingIdx?: number } = {},
  ) {
    super();
    this.weight = this.registerParameter('weight', empty([numEmbeddings, embeddingDim]));
    normal_(this.weight);
    if (o.paddingIdx !== undefined)
      noGrad(() =>
        this.weight
          .index(o.paddingIdx as number)
          .zero_()
          .dispose(),
      );
  }

  forward(indices: Tensor): Tensor {
    return F.embedding(indices, this.weight, { paddingIdx: this.o.paddingIdx });
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}`;
  }
}
