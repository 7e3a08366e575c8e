/**
 * `SparseResNet`: the ResNet of SparK (Tian et al. 2023, "Designing BERT for Convolutional
 * Networks: Sparse and Hierarchical Masked Modeling", arXiv:2301.03580), as mmpretrain's
 * `SparseResNet`: our `ResNet` with every conv, pool and BN turned into its sparse counterpart
 * (`sparse-modules.ts`), all sharing one `SparseActiveMask`.
 *
 * `forwardSparse(x, active)` encodes masked images `(N, 3, H, W)` with the active mask
 * `(N, 1, f, f)` (true = visible, f = H / total stride): every layer's output is zero on the
 * masked positions and batch norms take their statistics over the visible positions only. Plain
 * `forward` (no mask) is the dense ResNet. The modules keep ResNet's state-dict keys, so a SparK
 * checkpoint's `backbone.*` loads strictly into a plain `ResNet` for fine-tuning.
 */
import { nn, type Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { BACKBONES } from '../registries.js';
import { ResNet, type ResNetOptions, resnetSchema } from './resnet.js';
import { denseToSparse, SparseActiveMask, SparseBatchNorm2d } from './sparse-modules.js';

/** A backbone that can encode masked images sparsely (SparK's encoders). */
export interface SparseEncoder {
  /** The stage outputs of `x` `(N, C, H, W)` encoded with only the `active` `(N, 1, f, f)` positions visible. */
  forwardSparse(x: Tensor, active: Tensor): Tensor[];
  /** Channels of each stage's output. */
  readonly stageChannels: number[];
  /** The stages `forward` returns. */
  readonly outIndices: number[];
}

/** Whether `b` encodes masked images sparsely. */
export function isSparseEncoder(b: object): b is SparseEncoder {
  return typeof (b as Partial<SparseEncoder>).forwardSparse === 'function';
}

/** ResNet with sparse convolution emulated by masking (mmpretrain's `SparseResNet`). */
export class SparseResNet extends ResNet implements SparseEncoder {
  /** The active mask every sparse layer of this network reads. */
  readonly active: SparseActiveMask;

  constructor(opts: ResNetOptions) {
    super(opts);
    this.active = new SparseActiveMask();
    denseToSparse(this, this.active);
  }

  forwardSparse(x: Tensor, active: Tensor): Tensor[] {
    return this.active.with(active, () => this.forward(x));
  }

  /** ResNet's init, with the sparse BNs at γ = 1, β = 0 (mmpretrain: `Constant` 1 on `_BatchNorm`). */
  override initWeights(): void {
    for (const m of this.modules())
      if (m instanceof SparseBatchNorm2d) {
        if (m.weight) nn.init.ones_(m.weight);
        if (m.bias) nn.init.zeros_(m.bias);
      }
    // After the BN reset: ResNet's zeroInitResidual zeroes the last BN γ of each block.
    super.initWeights();
  }

  protected override applyFreezing(): void {
    super.applyFreezing();
    if (this.normEval && this.training) for (const m of this.modules()) if (m instanceof SparseBatchNorm2d) m.eval();
  }
}

/** `SparseResNet` (`{ type: 'SparseResNet', depth: 50, outIndices: [0, 1, 2, 3] }`). */
export const sparseResNetPart = definePart({
  registry: BACKBONES,
  name: 'SparseResNet',
  schema: resnetSchema,
  description: "SparK's ResNet: sparse convolution emulated by re-masking after every conv/pool/BN (ResNet's keys)",
  build: (o) => new SparseResNet(o),
});
