/**
 * MMSelfSup's `DenseCLNeck` (Wang et al. 2021, "Dense Contrastive Learning for Self-Supervised
 * Visual Pre-Training", arXiv:2011.09157): a global projector (avg-pool → fc-ReLU-fc, keys
 * `mlp.0`/`mlp.2`) and, in parallel, a dense projector of 1×1 convolutions (conv-ReLU-conv, keys
 * `mlp2.0`/`mlp2.2`) applied to every position of the (optionally `numGrid`×`numGrid`-pooled) map.
 *
 * Input `[(N, C, H, W)]`; output `[global (N, D), grid (N, D, S²), pooled grid (N, D)]`, where
 * S×S is the grid (H×W without `numGrid`) and the pooled grid is the dense projection averaged
 * over positions (what DenseCL enqueues as dense negatives).
 */
import { F, nn, type Tensor, tidy } from '@selfsup/torch';
import { posInt, z } from '../../core/schema.js';
import { definePart } from '../../core/registry.js';
import { NECKS } from '../registries.js';

/** `DenseCLNeck` options (everything but `type`). */
export const denseCLNeckSchema = z.strictObject({
  inChannels: posInt(),
  hidChannels: posInt(),
  outChannels: posInt(),
  /** Adaptive-average-pool the map to `numGrid`×`numGrid` before the dense projector; null keeps H×W. */
  numGrid: posInt().nullable().optional(),
});

export type DenseCLNeckOptions = z.input<typeof denseCLNeckSchema>;

export class DenseCLNeck extends nn.Module<[Tensor[]], Tensor[]> {
  readonly numGrid: number | null;
  readonly mlp: nn.Sequential;
  readonly mlp2: nn.Sequential;

  constructor(readonly opts: DenseCLNeckOptions) {
    super();
    const { inChannels: c, hidChannels: h, outChannels: o } = opts;
    this.numGrid = opts.numGrid ?? null;
    this.mlp = this.registerModule('mlp', new nn.Sequential(new nn.Linear(c, h), new nn.ReLU(), new nn.Linear(h, o)));
    this.mlp2 = this.registerModule('mlp2', new nn.Sequential(new nn.Conv2d(c, h, 1), new nn.ReLU(), new nn.Conv2d(h, o, 1)));
  }

  /** `[(N, C, H, W)]` → `[(N, D), (N, D, S²), (N, D)]`. */
  forward(x: Tensor[]): Tensor[] {
    if (x.length !== 1) throw new RangeError(`DenseCLNeck: expected one backbone output, got ${x.length}`);
    const map = x[0];
    if (map.dim() !== 4) throw new RangeError(`DenseCLNeck: expected a (N, C, H, W) feature map, got ${map.dim()}-D`);
    return tidy(() => {
      const global = this.mlp.forward(F.adaptiveAvgPool2d(map, 1).flatten(1));
      const pooled = this.numGrid === null ? map : F.adaptiveAvgPool2d(map, this.numGrid);
      const dense = this.mlp2.forward(pooled);
      const avgDense = dense.mean([2, 3]);
      return [global, dense.flatten(2), avgDense];
    });
  }
}

/** `DenseCLNeck` in NECKS. */
export const denseCLNeckPart = definePart({
  registry: NECKS,
  name: 'DenseCLNeck',
  schema: denseCLNeckSchema,
  description: 'global fc-ReLU-fc plus dense 1×1-conv projector (DenseCL)',
  build: (o) => new DenseCLNeck(o),
});
