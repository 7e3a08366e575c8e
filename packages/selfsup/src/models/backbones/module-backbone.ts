/**
 * A ready `nn.Module` as an algorithm's backbone (lightly's style: `new SimCLR({ backbone: myNet,
 * neck: {…}, head: {…} })`), for code that builds algorithms directly rather than from a config.
 *
 * The module takes `(N, C, H, W)` images and returns one tensor (a `(N, C', h, w)` feature map or
 * `(N, C')` vectors) or a list of them (stage outputs, last one last). It must declare the channels
 * of that output as `numFeatures` or `outChannels`: the neck's `inChannels` is checked against it
 * and evaluation sizes classifiers by it. A `Backbone` subclass is used as it is.
 *
 * The adapter adopts the module's parameters, buffers and children under their own names, so the
 * algorithm's state-dict keys are `backbone.<the module's keys>`, as if it had been built from a
 * config; the tensors are the module's own (training one trains the other).
 */
import { type nn, Tensor } from '@selfsup/torch';
import { Backbone } from './base.js';

/** What a module offers to be used as a backbone. */
export interface FeatureModule extends nn.AnyModule {
  /** Channels of the (last) output. */
  numFeatures?: number;
  /** Same as `numFeatures` (the name torchvision-style feature extractors use). */
  outChannels?: number;
  /** Re-initialises the module's weights (called by `Backbone.initWeights`); optional. */
  initWeights?: () => void;
}

/** The module's declared output channels, or undefined when it declares none (or not a positive integer). */
export function declaredFeatureDim(m: nn.AnyModule): number | undefined {
  const f = m as FeatureModule;
  const d = f.numFeatures ?? f.outChannels;
  return typeof d === 'number' && Number.isInteger(d) && d > 0 ? d : undefined;
}

export class ModuleBackbone extends Backbone {
  readonly numFeatures: number;
  readonly stageChannels: number[];

  /** `who` names the algorithm (and config path) in errors. */
  constructor(
    readonly inner: FeatureModule,
    who: string,
  ) {
    super();
    const dim = declaredFeatureDim(inner);
    if (dim === undefined)
      throw new TypeError(
        `${who}: the backbone module ${inner.constructor.name} must declare the channels of its output as ` +
          '`numFeatures` or `outChannels` (a positive integer): the neck’s inChannels is checked against it',
      );
    this.numFeatures = dim;
    this.stageChannels = [dim];
    // `Module.train` sets the flag on every module of the tree without calling overrides, and the
    // module is not in the tree (its children are): the adapter's flag is the module's.
    Object.defineProperty(this, 'training', {
      get: () => inner.training,
      set: (v: boolean) => {
        inner.training = v;
      },
    });
    const persistent = new Set(Object.keys(inner.stateDict()));
    for (const [n, p] of inner.namedParameters('', false)) this.registerParameter(n, p, p.requiresGrad);
    for (const [n, b] of inner.namedBuffers('', false)) this.registerBuffer(n, b, { persistent: persistent.has(n) });
    for (const [n, m] of inner.namedChildren()) this.registerModule(n, m);
  }

  /** The module's output as a list (one tensor becomes a one-element list). */
  forward(x: Tensor): Tensor[] {
    const out: unknown = this.inner.forward(x);
    const list = Array.isArray(out) ? out : [out];
    if (list.length === 0 || !list.every((t) => t instanceof Tensor))
      throw new TypeError(`${this.inner.constructor.name}.forward must return a Tensor or a non-empty list of Tensors`);
    return list as Tensor[];
  }

  /** The last output. */
  forwardFeatures(x: Tensor): Tensor {
    const out = this.forward(x);
    const last = out[out.length - 1];
    for (const t of out) if (t !== last) t.dispose();
    return last;
  }

  /** The module's own `initWeights()` when it has one; otherwise its weights stay as they are. */
  initWeights(): void {
    this.inner.initWeights?.();
  }

  /** Called directly, the module's own `train()` runs too (it may freeze parts). */
  override train(mode = true): this {
    super.train(mode);
    this.inner.train(mode);
    return this;
  }

  protected applyFreezing(): void {}

  override extraRepr(): string {
    return `${this.inner.constructor.name}, numFeatures=${this.numFeatures}`;
  }
}

/** `m` as a backbone: a `Backbone` unchanged, any other module adapted. */
export function moduleBackbone(m: nn.AnyModule, who: string): Backbone {
  return m instanceof Backbone ? m : new ModuleBackbone(m, who);
}
