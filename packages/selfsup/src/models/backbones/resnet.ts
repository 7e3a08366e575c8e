/**
 * ResNet (He et al. 2016, "Deep Residual Learning for Image Recognition") and ResNetV1d (He et al.
 * 2019, "Bag of Tricks": deep stem, average-pool downsampling), with torchvision's (ResNet) and
 * MMSelfSup/mmcls's (ResNetV1d) state-dict keys, so their checkpoints load directly.
 *
 * Input `(N, 3, H, W)`; stage i outputs `(N, C_i, H/2^(i+2), W/2^(i+2))` with the ImageNet stem,
 * `(N, C_i, H/2^i, W/2^i)` with the CIFAR stem (3×3 conv, stride 1, no max-pool).
 */
import { consume, F, nn, type Tensor, tidy } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { bool, nonNegNum, posInt, posNum, z } from '../../core/schema.js';
import { BACKBONES } from '../registries.js';
import { Backbone, backboneShape, resolveOutIndices } from './base.js';

type Block = BasicBlock | Bottleneck;

const conv3x3 = (i: number, o: number, stride = 1) => new nn.Conv2d(i, o, 3, { stride, padding: 1, bias: false });
const conv1x1 = (i: number, o: number, stride = 1) => new nn.Conv2d(i, o, 1, { stride, bias: false });

/** Two 3×3 convolutions (ResNet-18/34). */
export class BasicBlock extends nn.Module {
  static readonly expansion = 1;
  readonly conv1: nn.Conv2d;
  readonly bn1: nn.BatchNorm2d;
  readonly conv2: nn.Conv2d;
  readonly bn2: nn.BatchNorm2d;
  readonly downsample: nn.Sequential | null;
  readonly dropPath: nn.DropPath;

  constructor(inplanes: number, planes: number, stride: number, downsample: nn.Sequential | null, dropPath: number) {
    super();
    this.conv1 = this.registerModule('conv1', conv3x3(inplanes, planes, stride));
    this.bn1 = this.registerModule('bn1', new nn.BatchNorm2d(planes));
    this.conv2 = this.registerModule('conv2', conv3x3(planes, planes));
    this.bn2 = this.registerModule('bn2', new nn.BatchNorm2d(planes));
    this.downsample = this.registerModule('downsample', downsample);
    this.dropPath = this.registerModule('drop_path', new nn.DropPath(dropPath));
  }

  /** The BN whose γ is zeroed by `zeroInitResidual`. */
  get lastNorm(): nn.BatchNorm2d {
    return this.bn2;
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      // In place on BN's fresh output, as torchvision: one activation-sized write less per block.
      let out = consume(this.conv1.forward(x), (h) => this.bn1.forward(h)).relu_();
      out = consume(out, (h) => this.conv2.forward(h));
      out = consume(out, (h) => this.bn2.forward(h));
      out = consume(out, (h) => this.dropPath.forward(h));
      const identity = this.downsample ? this.downsample.forward(x) : x;
      return out.add_(identity).relu_();
    });
  }
}

/** 1×1 → 3×3 (stride here, torchvision's "ResNet v1.5") → 1×1 with 4× expansion (ResNet-50+). */
export class Bottleneck extends nn.Module {
  static readonly expansion = 4;
  readonly conv1: nn.Conv2d;
  readonly bn1: nn.BatchNorm2d;
  readonly conv2: nn.Conv2d;
  readonly bn2: nn.BatchNorm2d;
  readonly conv3: nn.Conv2d;
  readonly bn3: nn.BatchNorm2d;
  readonly downsample: nn.Sequential | null;
  readonly dropPath: nn.DropPath;

  constructor(inplanes: number, planes: number, stride: number, downsample: nn.Sequential | null, dropPath: number) {
    super();
    this.conv1 = this.registerModule('conv1', conv1x1(inplanes, planes));
    this.bn1 = this.registerModule('bn1', new nn.BatchNorm2d(planes));
    this.conv2 = this.registerModule('conv2', conv3x3(planes, planes, stride));
    this.bn2 = this.registerModule('bn2', new nn.BatchNorm2d(planes));
    this.conv3 = this.registerModule('conv3', conv1x1(planes, planes * 4));
    this.bn3 = this.registerModule('bn3', new nn.BatchNorm2d(planes * 4));
    this.downsample = this.registerModule('downsample', downsample);
    this.dropPath = this.registerModule('drop_path', new nn.DropPath(dropPath));
  }

  get lastNorm(): nn.BatchNorm2d {
    return this.bn3;
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      // In place on BN's fresh outputs, as torchvision: activation-sized writes saved per block.
      let out = consume(this.conv1.forward(x), (h) => this.bn1.forward(h)).relu_();
      out = consume(out, (h) => this.conv2.forward(h));
      out = consume(out, (h) => this.bn2.forward(h)).relu_();
      out = consume(out, (h) => this.conv3.forward(h));
      out = consume(out, (h) => this.bn3.forward(h));
      out = consume(out, (h) => this.dropPath.forward(h));
      const identity = this.downsample ? this.downsample.forward(x) : x;
      return out.add_(identity).relu_();
    });
  }
}

/** A conv + BN pair with mmcv ConvModule's keys (`conv`, `bn`), used by the V1d deep stem. */
export class ConvBN extends nn.Module {
  readonly conv: nn.Conv2d;
  readonly bn: nn.BatchNorm2d;
  constructor(i: number, o: number, stride: number) {
    super();
    this.conv = this.registerModule('conv', conv3x3(i, o, stride));
    this.bn = this.registerModule('bn', new nn.BatchNorm2d(o));
  }
  forward(x: Tensor): Tensor {
    return tidy(() => F.relu(this.bn.forward(this.conv.forward(x))));
  }
}

const DEPTHS = [18, 34, 50, 101, 152] as const;

/** `ResNet` options (everything but `type`). */
export const resnetSchema = z.strictObject({
  ...backboneShape,
  depth: z.union(
    DEPTHS.map((d) => z.literal(d)),
    { error: 'expected a ResNet depth: 18, 34, 50, 101 or 152' },
  ),
  inChannels: posInt().optional(),
  /** 3×3 stride-1 first conv and no max-pool, for 32 px images (CIFAR). */
  cifarStem: bool().optional(),
  /** ResNetV1d: three 3×3 stem convs and average-pool downsampling. */
  v1d: bool().optional(),
  /** Multiplies every stage's width (64·w, 128·w, …): ¼ width gives a CPU-sized model. */
  widthMultiplier: posNum().optional(),
  /** Zero the last BN γ of each residual branch so blocks start as identities (Goyal et al. 2017). */
  zeroInitResidual: bool().optional(),
  /** Stochastic depth rate, increasing linearly from 0 over the blocks. */
  dropPathRate: nonNegNum().optional(),
  /** Stage strides (MMSelfSup's `strides`), default [1, 2, 2, 2]. */
  strides: z.array(posInt()).length(4, 'expected 4 stage strides').optional(),
});

export type ResNetOptions = z.input<typeof resnetSchema>;

const ARCH: Record<ResNetOptions['depth'], { block: 'basic' | 'bottleneck'; layers: number[] }> = {
  18: { block: 'basic', layers: [2, 2, 2, 2] },
  34: { block: 'basic', layers: [3, 4, 6, 3] },
  50: { block: 'bottleneck', layers: [3, 4, 6, 3] },
  101: { block: 'bottleneck', layers: [3, 4, 23, 3] },
  152: { block: 'bottleneck', layers: [3, 8, 36, 3] },
};

export class ResNet extends Backbone {
  readonly numFeatures: number;
  readonly stageChannels: number[];
  readonly outIndices: number[];
  readonly frozenStages: number;
  readonly normEval: boolean;
  readonly conv1: nn.Conv2d | null = null;
  readonly bn1: nn.BatchNorm2d | null = null;
  readonly stem: nn.Sequential | null = null;
  readonly maxpool: nn.MaxPool2d | null;
  readonly layers: nn.Sequential[] = [];

  constructor(readonly opts: ResNetOptions) {
    super();
    const arch = ARCH[opts.depth];
    if (!arch) throw new RangeError(`ResNet: depth must be one of 18, 34, 50, 101, 152, got ${opts.depth}`);
    const expansion = arch.block === 'basic' ? 1 : 4;
    const w = opts.widthMultiplier ?? 1;
    const base = Math.max(1, Math.round(64 * w));
    const inC = opts.inChannels ?? 3;
    if (opts.v1d) {
      const half = Math.max(1, Math.round(base / 2));
      const s0 = opts.cifarStem ? 1 : 2;
      this.stem = this.registerModule(
        'stem',
        new nn.Sequential(new ConvBN(inC, half, s0), new ConvBN(half, half, 1), new ConvBN(half, base, 1)),
      );
    } else if (opts.cifarStem) {
      this.conv1 = this.registerModule('conv1', conv3x3(inC, base));
      this.bn1 = this.registerModule('bn1', new nn.BatchNorm2d(base));
    } else {
      this.conv1 = this.registerModule('conv1', new nn.Conv2d(inC, base, 7, { stride: 2, padding: 3, bias: false }));
      this.bn1 = this.registerModule('bn1', new nn.BatchNorm2d(base));
    }
    this.maxpool = this.registerModule('maxpool', opts.cifarStem ? null : new nn.MaxPool2d(3, { stride: 2, padding: 1 }));
    const strides = opts.strides ?? [1, 2, 2, 2];
    const total = arch.layers.reduce((a, b) => a + b, 0);
    const rate = opts.dropPathRate ?? 0;
    let inplanes = base;
    let blockIdx = 0;
    this.stageChannels = [];
    for (let s = 0; s < 4; s++) {
      const planes = Math.max(1, Math.round(64 * 2 ** s * w));
      const stage = new nn.Sequential();
      for (let b = 0; b < arch.layers[s]; b++) {
        const stride = b === 0 ? strides[s] : 1;
        let down: nn.Sequential | null = null;
        if (b === 0 && (stride !== 1 || inplanes !== planes * expansion)) {
          down = opts.v1d
            ? new nn.Sequential(
                stride > 1 ? new nn.AvgPool2d(stride, { stride, ceilMode: true, countIncludePad: false }) : new nn.Identity(),
                conv1x1(inplanes, planes * expansion),
                new nn.BatchNorm2d(planes * expansion),
              )
            : new nn.Sequential(conv1x1(inplanes, planes * expansion, stride), new nn.BatchNorm2d(planes * expansion));
        }
        const dp = total > 1 ? (rate * blockIdx) / (total - 1) : 0;
        stage.append(
          arch.block === 'basic'
            ? new BasicBlock(inplanes, planes, stride, down, dp)
            : new Bottleneck(inplanes, planes, stride, down, dp),
        );
        inplanes = planes * expansion;
        blockIdx++;
      }
      this.layers.push(this.registerModule(`layer${s + 1}`, stage));
      this.stageChannels.push(inplanes);
    }
    this.numFeatures = inplanes;
    this.outIndices = resolveOutIndices(opts.outIndices ?? [3], 4, 'ResNet');
    this.frozenStages = opts.frozenStages ?? -1;
    this.normEval = opts.normEval ?? false;
    this.initWeights();
    this.applyFreezing();
  }

  /** torchvision's init: Kaiming-normal (fan_out, relu) convs, BN γ=1 β=0; optional zero-init residuals. */
  initWeights(): void {
    for (const m of this.modules()) {
      if (m instanceof nn.Conv2d) nn.init.kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu' });
      else if (m instanceof nn.BatchNorm2d) {
        if (m.weight) nn.init.ones_(m.weight);
        if (m.bias) nn.init.zeros_(m.bias);
      }
    }
    if (this.opts.zeroInitResidual) {
      for (const m of this.modules())
        if (m instanceof BasicBlock || m instanceof Bottleneck) nn.init.zeros_((m as Block).lastNorm.weight as Tensor);
    }
  }

  protected applyFreezing(): void {
    if (this.frozenStages >= 0) {
      const stemParts: nn.AnyModule[] = this.stem ? [this.stem] : [this.conv1 as nn.Conv2d, this.bn1 as nn.BatchNorm2d];
      const frozen = [...stemParts, ...this.layers.slice(0, this.frozenStages)];
      for (const m of frozen) {
        m.eval();
        m.requiresGrad_(false);
      }
    }
    if (this.normEval && this.training) {
      for (const m of this.modules()) if (m instanceof nn.BatchNorm2d) m.eval();
    }
  }

  private stemForward(x: Tensor): Tensor {
    return tidy(() => {
      const h = this.stem
        ? this.stem.forward(x)
        : consume((this.conv1 as nn.Conv2d).forward(x), (c) => (this.bn1 as nn.BatchNorm2d).forward(c)).relu_();
      const maxpool = this.maxpool;
      return maxpool ? consume(h, (p) => maxpool.forward(p)) : h;
    });
  }

  forward(x: Tensor): Tensor[] {
    return tidy(() => {
      let h = this.stemForward(x);
      const byStage = new Map<number, Tensor>();
      const last = Math.max(...this.outIndices);
      for (let s = 0; s <= last; s++) {
        const layer = this.layers[s];
        // A stage's output is freed once the next stage has read it, unless it is an output.
        h = byStage.has(s - 1) ? layer.forward(h) : consume(h, (p) => layer.forward(p));
        if (this.outIndices.includes(s)) byStage.set(s, h);
      }
      return this.outIndices.map((i) => byStage.get(i) as Tensor);
    });
  }

  forwardFeatures(x: Tensor): Tensor {
    return tidy(() => {
      let h = this.stemForward(x);
      for (const l of this.layers) h = consume(h, (p) => l.forward(p));
      return h;
    });
  }

  override extraRepr(): string {
    return `depth=${this.opts.depth}${this.opts.v1d ? ', v1d' : ''}${this.opts.cifarStem ? ', cifar_stem' : ''}, width=${this.opts.widthMultiplier ?? 1}`;
  }
}

/** `ResNet` (`{ type: 'ResNet', depth: 18, cifarStem: true }`). */
export const resnetPart = definePart({
  registry: BACKBONES,
  name: 'ResNet',
  schema: resnetSchema,
  description: "ResNet-18/34/50/101/152 (torchvision's keys); cifarStem, widthMultiplier for small images and CPUs",
  build: (o) => new ResNet(o),
});

/** `ResNetV1d`: the deep stem and average-pool downsampling (mmcls's keys). */
export const resnetV1dPart = definePart({
  registry: BACKBONES,
  name: 'ResNetV1d',
  schema: resnetSchema.omit({ v1d: true }),
  description: 'ResNetV1d (Bag of Tricks): three 3×3 stem convs, average-pool downsampling',
  build: (o) => new ResNet({ ...o, v1d: true }),
});

/** `resnet18` … `resnet152`: torchvision's names, the depth fixed. */
export const resnetDepthParts = DEPTHS.map((depth) =>
  definePart({
    registry: BACKBONES,
    name: `resnet${depth}`,
    schema: resnetSchema.omit({ depth: true }),
    description: `ResNet-${depth}`,
    build: (o) => new ResNet({ ...o, depth }),
  }),
);
