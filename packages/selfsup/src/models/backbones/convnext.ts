/**
 * ConvNeXt (Liu et al. 2022, "A ConvNet for the 2020s", arXiv:2201.03545) and ConvNeXt V2 (Woo et
 * al. 2023, arXiv:2301.00808: `useGrn: true, layerScaleInitValue: 0`) as mmpretrain's `ConvNeXt`.
 *
 * Input `(N, 3, H, W)`; a `stemPatchSize`×`stemPatchSize` stride-`stemPatchSize` conv + LayerNorm
 * (`downsample_layers.0`), then four stages of `ConvNeXtBlock`s, stages 1–3 entered through a
 * LayerNorm + 2×2 stride-2 conv (`downsample_layers.i`). Stage i's map is `(N, C_i, H/(4·2^i), W/(4·2^i))`.
 * Each out index i has its own LayerNorm `norm{i}`; with `gapBeforeFinalNorm` (the default, as
 * mmpretrain's classification use) the output is `norm{i}(GAP(map))` `(N, C_i)`, else `norm{i}(map)`.
 *
 * Keys are mmpretrain's, so its ConvNeXt checkpoints load after `backbone.` is stripped:
 * `downsample_layers.0.{0,1}.*`, `downsample_layers.i.{0,1}.*`, `stages.i.j.depthwise_conv.*`,
 * `stages.i.j.norm.*`, `stages.i.j.pointwise_conv{1,2}.*`, `stages.i.j.grn.{gamma,beta}`,
 * `stages.i.j.gamma`, `norm{i}.*`.
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { bool, nonNegNum, posInt, prob, z } from '../../core/schema.js';
import { BACKBONES } from '../registries.js';
import { Backbone, backboneShape, resolveOutIndices } from './base.js';
import { ConvNeXtBlock, LayerNorm2d, SparseLayerNorm2d } from './convnext-block.js';
import { type SparseActiveMask, SparseConv2d } from './sparse-modules.js';

/** mmpretrain's `ConvNeXt.arch_settings`: blocks and channels per stage. */
export const CONVNEXT_ARCHS = {
  atto: { depths: [2, 2, 6, 2], channels: [40, 80, 160, 320] },
  femto: { depths: [2, 2, 6, 2], channels: [48, 96, 192, 384] },
  pico: { depths: [2, 2, 6, 2], channels: [64, 128, 256, 512] },
  nano: { depths: [2, 2, 8, 2], channels: [80, 160, 320, 640] },
  tiny: { depths: [3, 3, 9, 3], channels: [96, 192, 384, 768] },
  small: { depths: [3, 3, 27, 3], channels: [96, 192, 384, 768] },
  base: { depths: [3, 3, 27, 3], channels: [128, 256, 512, 1024] },
  large: { depths: [3, 3, 27, 3], channels: [192, 384, 768, 1536] },
  xlarge: { depths: [3, 3, 27, 3], channels: [256, 512, 1024, 2048] },
  huge: { depths: [3, 3, 27, 3], channels: [352, 704, 1408, 2816] },
} as const;

export type ConvNeXtArch = keyof typeof CONVNEXT_ARCHS;
const ARCH_NAMES = Object.keys(CONVNEXT_ARCHS) as ConvNeXtArch[];

/** Options ConvNeXt and SparseConvNeXt share (mmpretrain's names, camelCased). */
export const convnextShape = {
  ...backboneShape,
  /** A named size, or `{ depths, channels }` per stage. Default 'tiny'. */
  arch: z
    .union([
      z.enum(ARCH_NAMES, { error: `expected a ConvNeXt arch: ${ARCH_NAMES.join(', ')}` }),
      z.strictObject({ depths: z.array(posInt()).min(1), channels: z.array(posInt()).min(1) }),
    ])
    .optional(),
  inChannels: posInt().optional(),
  /** Side and stride of the stem's patchifying conv. Default 4. */
  stemPatchSize: posInt().optional(),
  /** Pointwise convs as Linear layers (mmpretrain's default, keys `pointwise_conv1.weight` of (4C, C)). Default true. */
  linearPwConv: bool().optional(),
  /** Global Response Normalisation in every block (ConvNeXt V2). Default false. */
  useGrn: bool().optional(),
  /** Stochastic depth over all blocks, linearly from 0. Default 0. */
  dropPathRate: prob().optional(),
  /** Initial layer scale; 0 disables it (ConvNeXt V2). Default 1e-6. */
  layerScaleInitValue: nonNegNum().optional(),
};

/** `ConvNeXt` options (everything but `type`). */
export const convnextSchema = z.strictObject({
  ...convnextShape,
  /** Average-pool each output map before its `norm{i}`, giving `(N, C_i)`. Default true. */
  gapBeforeFinalNorm: bool().optional(),
});

export type ConvNeXtOptions = z.input<typeof convnextSchema>;

/** How a subclass changes the network (SparK's sparse ConvNeXt). */
export interface ConvNeXtVariant {
  /** Sparse convs, norms and blocks reading this mask. */
  active?: SparseActiveMask;
  /** `norm{i}` after each output (mmpretrain's ConvNeXt) or none (its SparseConvNeXt). */
  outNorms: boolean;
  /** Average-pool the outputs. */
  gap: boolean;
  /** The arch when `arch` is not given. */
  defaultArch: ConvNeXtArch;
  /** The family's name in messages. */
  name: string;
}

type ConvNeXtBaseOptions = z.input<z.ZodObject<typeof convnextShape>>;

/** ConvNeXt (Liu et al. 2022): `(N, 3, H, W)` → the out stages' normalised maps or pooled `(N, C_i)` features. */
export class ConvNeXt extends Backbone {
  readonly depths: number[];
  readonly stageChannels: number[];
  readonly numFeatures: number;
  readonly outIndices: number[];
  readonly frozenStages: number;
  readonly normEval: boolean;
  readonly gap: boolean;
  readonly downsampleLayers: nn.ModuleList<nn.Sequential>;
  readonly stages: nn.ModuleList<nn.Sequential>;
  /** `norm{i}` for each out index i (none in the sparse variant). */
  readonly outNorms = new Map<number, LayerNorm2d>();

  constructor(
    o: ConvNeXtBaseOptions & { gapBeforeFinalNorm?: boolean } = {},
    variant: ConvNeXtVariant = { outNorms: true, gap: o.gapBeforeFinalNorm ?? true, defaultArch: 'tiny', name: 'ConvNeXt' },
  ) {
    super();
    const who = variant.name;
    const arch = o.arch ?? variant.defaultArch;
    const { depths, channels } = typeof arch === 'string' ? CONVNEXT_ARCHS[arch] : arch;
    if (depths.length !== channels.length)
      throw new RangeError(`${who}: arch has ${depths.length} depths but ${channels.length} channel counts`);
    this.depths = [...depths];
    this.stageChannels = [...channels];
    const numStages = depths.length;
    this.numFeatures = channels[numStages - 1];
    this.outIndices = resolveOutIndices(o.outIndices ?? [-1], numStages, who);
    this.frozenStages = o.frozenStages ?? 0;
    if (this.frozenStages > numStages)
      throw new RangeError(`${who}: frozenStages ${this.frozenStages} exceeds the ${numStages} stages`);
    this.normEval = o.normEval ?? false;
    this.gap = variant.gap;

    const active = variant.active ?? null;
    const norm = (c: number) => (active ? new SparseLayerNorm2d(active, c) : new LayerNorm2d(c));
    const conv = (i: number, out: number, k: number) =>
      active ? new SparseConv2d(active, i, out, k, { stride: k }) : new nn.Conv2d(i, out, k, { stride: k });
    const patch = o.stemPatchSize ?? 4;
    const downsample = [new nn.Sequential(conv(o.inChannels ?? 3, channels[0], patch), norm(channels[0]))];
    for (let i = 1; i < numStages; i++)
      downsample.push(new nn.Sequential(norm(channels[i - 1]), conv(channels[i - 1], channels[i], 2)));
    this.downsampleLayers = this.registerModule('downsample_layers', new nn.ModuleList(downsample));

    // mmpretrain's decay rule: torch.linspace(0, rate, total blocks).
    const total = depths.reduce((a, b) => a + b, 0);
    const rate = o.dropPathRate ?? 0;
    let k = 0;
    const stages = depths.map((d, i) => {
      const blocks: ConvNeXtBlock[] = [];
      for (let j = 0; j < d; j++, k++)
        blocks.push(
          new ConvNeXtBlock(channels[i], {
            dropPath: total > 1 ? (rate * k) / (total - 1) : 0,
            linearPwConv: o.linearPwConv,
            layerScaleInitValue: o.layerScaleInitValue,
            useGrn: o.useGrn,
            active,
          }),
        );
      return new nn.Sequential(...blocks);
    });
    this.stages = this.registerModule('stages', new nn.ModuleList(stages));
    if (variant.outNorms)
      for (const i of this.outIndices) this.outNorms.set(i, this.registerModule(`norm${i}`, new LayerNorm2d(channels[i])));

    this.initWeights();
    this.applyFreezing();
  }

  /** mmpretrain's init: trunc-normal(0.02) conv and linear weights (truncated at ±2), zero biases, LayerNorms 1/0. */
  initWeights(): void {
    torch.noGrad(() => {
      for (const m of this.modules()) {
        if (m instanceof nn.Conv2d || m instanceof nn.Linear) {
          nn.init.truncNormal_(m.weight, { std: 0.02 });
          m.bias?.zero_();
        } else if (m instanceof nn.LayerNorm) {
          m.weight?.fill_(1);
          m.bias?.zero_();
        }
      }
    });
  }

  /** Freezes `downsample_layers.i` and `stages.i` for i < frozenStages (mmpretrain's `_freeze_stages`). */
  protected applyFreezing(): void {
    for (let i = 0; i < this.frozenStages; i++) {
      this.downsampleLayers.at(i).eval().requiresGrad_(false);
      this.stages.at(i).eval().requiresGrad_(false);
    }
    // LayerNorms keep no running statistics, so `normEval` changes nothing; it is accepted for uniformity.
  }

  /**
   * Runs the stages up to `last`, handing each stage's map to `collect`, which says whether it keeps
   * that map; the others are freed once the next stage has read them.
   */
  private run(x: Tensor, last: number, collect: (i: number, map: Tensor) => boolean): void {
    let h = x;
    let keep = true; // the caller's input is never freed
    for (let i = 0; i <= last; i++) {
      const stage = (p: Tensor) => torch.consume(this.downsampleLayers.at(i).forward(p), (d) => this.stages.at(i).forward(d));
      h = keep ? stage(h) : torch.consume(h, stage);
      keep = collect(i, h);
    }
  }

  /** Stage i's output as `forward` returns it: pooled and/or through `norm{i}`. */
  private output(i: number, map: Tensor): Tensor {
    const norm = this.outNorms.get(i);
    if (this.gap) {
      const g = map.mean([-2, -1], { keepdim: true });
      return (norm ? norm.forward(g) : g).flatten(1);
    }
    return norm ? norm.forward(map) : map;
  }

  /** The `outIndices` stages' outputs, in order: `(N, C_i)` when pooling, else `(N, C_i, h_i, w_i)`. */
  override forward(x: Tensor): Tensor[] {
    return torch.tidy(() => {
      const outs = new Map<number, Tensor>();
      this.run(x, Math.max(...this.outIndices), (i, map) => {
        if (!this.outIndices.includes(i)) return false;
        const out = this.output(i, map);
        outs.set(i, out);
        return out === map;
      });
      return this.outIndices.map((i) => outs.get(i) as Tensor);
    });
  }

  /** The last stage's `(N, C, h, w)` map, before pooling and `norm{i}`. */
  forwardFeatures(x: Tensor): Tensor {
    return torch.tidy(() => {
      let last: Tensor | null = null;
      this.run(x, this.stages.length - 1, (i, map) => {
        if (i === this.stages.length - 1) last = map;
        return false;
      });
      return last as unknown as Tensor;
    });
  }

  override extraRepr(): string {
    return `depths=[${this.depths}], channels=[${this.stageChannels}], out_indices=[${this.outIndices}], gap=${this.gap}`;
  }
}

/** `ConvNeXt` (`{ type: 'ConvNeXt', arch: 'tiny' }`). */
export const convnextPart = definePart({
  registry: BACKBONES,
  name: 'ConvNeXt',
  schema: convnextSchema,
  description: "ConvNeXt v1/v2 (mmpretrain's keys): atto…huge or { depths, channels }; useGrn + layerScaleInitValue 0 for V2",
  build: (o) => new ConvNeXt(o),
});

/** `convnext-tiny` … `convnext-huge`: mmpretrain's named sizes, the arch fixed. */
export const convnextArchParts = ARCH_NAMES.map((arch) =>
  definePart({
    registry: BACKBONES,
    name: `convnext-${arch}`,
    schema: convnextSchema.omit({ arch: true }),
    description: `ConvNeXt-${arch[0].toUpperCase()}${arch.slice(1)}`,
    build: (o) => new ConvNeXt({ ...o, arch }),
  }),
);
