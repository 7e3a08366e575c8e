/**
 * A new algorithm as a user module: alignment + uniformity on the hypersphere (Wang & Isola 2020,
 * "Understanding Contrastive Representation Learning through Alignment and Uniformity on the
 * Hypersphere", arXiv:2005.10242). Two views `(N, C, H, W)` → backbone → projector neck →
 * L2-normalised `z₁, z₂ (N, D)`, and the head's loss
 *
 *   L = E‖z₁ − z₂‖^α + λ·(U(z₁) + U(z₂))/2,   U(z) = log E_{i≠j} exp(−t‖zᵢ − zⱼ‖²)
 *
 * with α = 2, t = 2 and λ = 1 (the paper's defaults). Load with `--import ./align-uniform.ts`;
 * in-tree the same file goes to src/models/algorithms/ and its two parts to src/builtins.ts.
 */
import * as torch from '@selfsup/torch';
import { F, nn, type Tensor } from '@selfsup/torch';
import {
  type AlgorithmInput,
  ALGORITHMS,
  BaseModel,
  baseModelShape,
  definePart,
  HEADS,
  type LossOutput,
  needViews,
  posNum,
  z,
} from 'selfsup';

/** `AlignUniformHead` options. */
export const alignUniformHeadSchema = z.strictObject({
  /** α: the power of the alignment distance. Default 2. */
  alpha: posNum().optional(),
  /** t: the Gaussian potential's scale. Default 2. */
  t: posNum().optional(),
  /** λ: the weight of the uniformity term. Default 1. */
  lambd: posNum().optional(),
});
export type AlignUniformHeadOptions = z.input<typeof alignUniformHeadSchema>;

/** `z₁, z₂ (N, D)` (normalised here) → the scalar alignment + λ·uniformity loss. No parameters. */
export class AlignUniformHead extends nn.Module<[Tensor, Tensor], Tensor> {
  readonly alpha: number;
  readonly t: number;
  readonly lambd: number;

  constructor(o: AlignUniformHeadOptions = {}) {
    super();
    this.alpha = o.alpha ?? 2;
    this.t = o.t ?? 2;
    this.lambd = o.lambd ?? 1;
  }

  /** log of the mean over pairs i ≠ j of exp(−t‖xᵢ − xⱼ‖²), for unit-norm rows `x (N, D)`. */
  uniformity(x: Tensor): Tensor {
    return torch.tidy(() => {
      const n = x.shape[0];
      // ‖xᵢ − xⱼ‖² = 2 − 2·xᵢ·xⱼ for unit vectors (and no sqrt to differentiate at 0).
      const potential = x.matmul(x.t()).mul(2).sub(2).mul(this.t);
      // The diagonal (i = j) is left out of the mean: −∞ there.
      const self = torch.eye(n, n, { dtype: 'bool' });
      return potential.maskedFill(self, Number.NEGATIVE_INFINITY).flatten().logsumexp(0).sub(Math.log(n * (n - 1)));
    });
  }

  forward(z1: Tensor, z2: Tensor): Tensor {
    return torch.tidy(() => {
      const a = F.normalize(z1, { dim: 1 });
      const b = F.normalize(z2, { dim: 1 });
      const align = a.sub(b).norm(2, 1).pow(this.alpha).mean();
      const uniform = this.uniformity(a).add(this.uniformity(b)).div(2);
      return align.add(uniform.mul(this.lambd));
    });
  }
}

export const alignUniformHeadPart = definePart({
  registry: HEADS,
  name: 'AlignUniformHead',
  schema: alignUniformHeadSchema,
  description: 'alignment + λ·uniformity of normalised embeddings (Wang & Isola 2020)',
  build: (o) => new AlignUniformHead(o),
});

/** `AlignUniform` options: backbone, neck, head (an AlignUniformHead), dataPreprocessor. */
export const alignUniformSchema = z.strictObject(baseModelShape);

/** Two views `(N, C, H, W)` → the alignment + uniformity loss of their projections. */
export class AlignUniform extends BaseModel<AlignUniformHead> {
  constructor(o: z.input<typeof alignUniformSchema>, path = 'model') {
    super(o, path, { head: AlignUniformHead });
  }

  loss(batch: AlgorithmInput): LossOutput {
    needViews(batch.views, 2, 'AlignUniform');
    return torch.tidy(() => {
      const [z1] = this.encode(this.preprocess(batch.views[0]));
      const [z2] = this.encode(this.preprocess(batch.views[1]));
      const loss = this.head.forward(z1, z2);
      return { loss, logs: {} };
    });
  }
}

export const alignUniformPart = definePart({
  registry: ALGORITHMS,
  name: 'AlignUniform',
  schema: alignUniformSchema,
  description: 'alignment + uniformity on the hypersphere (Wang & Isola 2020)',
  build: (o, path) => new AlignUniform(o, path),
});

// A user module registers its parts itself (in-tree: two lines in src/builtins.ts instead).
HEADS.register(alignUniformHeadPart);
ALGORITHMS.register(alignUniformPart);
