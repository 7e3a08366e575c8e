/**
 * MMSelfSup's `AvgPool2dNeck`: adaptive average pooling of the last backbone map, DeepCluster's
 * (Caron et al. 2018, arXiv:1807.05520) and ODC's neck. `[(N, C, H, W)]` → `[(N, C, s, s)]` with
 * `s = outputSize` (default 1). No parameters.
 */
import { F, nn, type Tensor } from '@selfsup/torch';
import { posInt, z } from '../../core/schema.js';
import { definePart } from '../../core/registry.js';
import { NECKS } from '../registries.js';

/** `AvgPool2dNeck` options (everything but `type`). */
export const avgPool2dNeckSchema = z.strictObject({
  /** Side of the pooled map. Default 1. */
  outputSize: posInt().optional(),
});
export type AvgPool2dNeckOptions = z.input<typeof avgPool2dNeckSchema>;

export class AvgPool2dNeck extends nn.Module<[Tensor[]], Tensor[]> {
  readonly outputSize: number;

  constructor(opts: AvgPool2dNeckOptions = {}) {
    super();
    this.outputSize = opts.outputSize ?? 1;
  }

  /** `[(N, C, H, W)]` → `[(N, C, s, s)]`. */
  forward(x: Tensor[]): Tensor[] {
    if (x.length !== 1) throw new RangeError(`AvgPool2dNeck: expected one backbone output, got ${x.length}`);
    if (x[0].dim() !== 4) throw new RangeError(`AvgPool2dNeck: expected a (N, C, H, W) map, got shape [${x[0].shape}]`);
    return [F.adaptiveAvgPool2d(x[0], [this.outputSize, this.outputSize])];
  }

  override extraRepr(): string {
    return `output_size=${this.outputSize}`;
  }
}

/** `AvgPool2dNeck` in NECKS. */
export const avgPool2dNeckPart = definePart({
  registry: NECKS,
  name: 'AvgPool2dNeck',
  schema: avgPool2dNeckSchema,
  description: 'adaptive average pooling of the last map: [(N, C, H, W)] → [(N, C, s, s)]',
  build: (o) => new AvgPool2dNeck(o),
});
