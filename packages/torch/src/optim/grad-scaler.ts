/**
 * `GradScaler`: dynamic loss scaling for mixed-precision training (Micikevicius et al. 2018,
 * "Mixed Precision Training", arXiv:1710.03740), as `torch.cuda.amp.GradScaler`:
 *
 * ```ts
 * const loss = torch.tidy(() => scaler.scale(model.call(x).mean()));  // loss × S
 * loss.backward();
 * scaler.unscale_(opt);               // optional: grads ÷ S, inf/NaN check (e.g. before clipping)
 * scaler.step(opt);                   // skipped when a gradient is inf/NaN
 * scaler.update();                    // S × backoff after an overflow, × growth after `growthInterval` clean steps
 * ```
 *
 * It is meant for CUDA, where fp16 gradients overflow: it calls libtorch's fused
 * `aten::_amp_foreach_non_finite_check_and_unscale_` and `aten::_amp_update_scale_`. libtorch 1.13
 * has no CPU kernels for them; on CPU (and wherever they are missing) the same arithmetic runs as
 * ordinary tensor ops, so the logic can be used and tested anywhere.
 */
import { full } from '../creation.js';
import { noGrad } from '../autograd.js';
import { stack } from '../math.js';
import { native } from '../native.js';
import { opId } from '../opcache.js';
import { keep, tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import type { Optimizer } from './optimizer.js';

export interface GradScalerOptions {
  /** Initial scale S (default 2¹⁶). */
  initScale?: number;
  /** Factor applied after `growthInterval` consecutive steps without inf/NaN (default 2). */
  growthFactor?: number;
  /** Factor applied after a step with inf/NaN gradients (default 0.5). */
  backoffFactor?: number;
  /** Clean steps before the scale grows (default 2000). */
  growthInterval?: number;
  /** When false every method is a pass-through (`step` just steps). */
  enabled?: boolean;
}

type Stage = 'ready' | 'unscaled' | 'stepped';

/** Scaler state in PyTorch's `GradScaler.state_dict()` format. */
export interface GradScalerState {
  scale: number;
  growth_factor: number;
  backoff_factor: number;
  growth_interval: number;
  _growth_tracker: number;
}

let fusedUnavailable = false;

/** Runs libtorch's fused kernel when it has one for these tensors, else `fallback`. */
function fused(op: string, args: unknown[], device: string, fallback: () => void): void {
  if (device.startsWith('cpu') && fusedUnavailable) {
    fallback();
    return;
  }
  try {
    native.call(opId(op), ...args);
  } catch (e) {
    if (!device.startsWith('cpu')) throw e;
    fusedUnavailable = true;
    fallback();
  }
}

/** Dynamic loss scaler. See the module docs for the training-loop pattern. */
export class GradScaler {
  readonly enabled: boolean;
  private initScale: number;
  private readonly growthFactor: number;
  private readonly backoffFactor: number;
  private readonly growthInterval: number;
  private scaleT: Tensor | null = null;
  private tracker: Tensor | null = null;
  private initTracker = 0;
  private readonly perOptimizer = new Map<Optimizer, { stage: Stage; foundInf: Tensor | null }>();

  constructor(opts: GradScalerOptions = {}) {
    this.enabled = opts.enabled ?? true;
    this.initScale = opts.initScale ?? 2 ** 16;
    this.growthFactor = opts.growthFactor ?? 2;
    this.backoffFactor = opts.backoffFactor ?? 0.5;
    this.growthInterval = opts.growthInterval ?? 2000;
    if (!(this.growthFactor > 1)) throw new RangeError('GradScaler: the growth factor must be > 1');
    if (!(this.backoffFactor < 1)) throw new RangeError('GradScaler: the backoff factor must be < 1');
  }

  private lazyInit(device: string): void {
    if (this.scaleT) return;
    this.scaleT = keep(full([1], { float: this.initScale }, { dtype: 'float32', device }));
    this.tracker = keep(full([1], this.initTracker, { dtype: 'int32', device }));
  }

  private stateFor(opt: Optimizer): { stage: Stage; foundInf: Tensor | null } {
    let s = this.perOptimizer.get(opt);
    if (!s) this.perOptimizer.set(opt, (s = { stage: 'ready', foundInf: null }));
    return s;
  }

  /** `outputs × S` (a new tensor; the input is untouched). Pass-through when disabled. */
  scale(outputs: Tensor): Tensor {
    if (!this.enabled) return outputs;
    this.lazyInit(outputs.device);
    const s = this.scaleT as Tensor;
    return tidy(() => outputs.mul(s.device === outputs.device ? s : s.to(outputs.device)));
  }

  /**
   * Divides the gradients of `optimizer`'s parameters by S in place and records whether any is
   * inf/NaN. Once per optimizer between `update()`s.
   */
  unscale_(optimizer: Optimizer): void {
    if (!this.enabled) return;
    const st = this.stateFor(optimizer);
    if (st.stage === 'unscaled')
      throw new Error('GradScaler: unscale_() has already been called on this optimizer since the last update()');
    if (st.stage === 'stepped') throw new Error('GradScaler: unscale_() is being called after step()');
    const scale = this.checkInit('unscale_');
    st.foundInf = keep(
      tidy(() =>
        noGrad(() => {
          // FP32 division can be imprecise: the reciprocal is taken in FP64 (as PyTorch).
          const inv = scale.double().reciprocal().float();
          const found = full([1], { float: 0 }, { dtype: 'float32', device: scale.device });
          const buckets = new Map<string, Tensor[]>();
          for (const g of optimizer.paramGroups) {
            for (const p of g.params) {
              const grad = p.grad;
              if (!grad) continue;
              if (grad.dtype === 'float16') throw new Error('GradScaler: attempting to unscale FP16 gradients');
              const key = `${grad.device}|${grad.dtype}`;
              const list = buckets.get(key) ?? [];
              list.push(grad);
              buckets.set(key, list);
            }
          }
          for (const [key, grads] of buckets) {
            const device = key.split('|')[0];
            const invD = inv.device === device ? inv : inv.to(device);
            const foundD = found.device === device ? found : full([1], { float: 0 }, { dtype: 'float32', device });
            fused(
              '_amp_foreach_non_finite_check_and_unscale_',
              [grads.map((t) => t.handle), foundD.handle, invD.handle],
              device,
              () => {
                const bad = stack(grads.map((t) => t.isfinite().all().logicalNot())).any();
                foundD.copy_(foundD.maximum(bad.to('float32').view(1)));
                for (const t of grads) t.mul_(invD);
              },
            );
            if (foundD !== found) found.add_(foundD.to(found.device));
          }
          return found;
        }),
      ),
    );
    st.stage = 'unscaled';
  }

  /**
   * Unscales (unless `unscale_` was called) and runs `optimizer.step()` unless a gradient was
   * inf/NaN. Returns whether the step ran.
   */
  step(optimizer: Optimizer): boolean {
    if (!this.enabled) {
      optimizer.step();
      return true;
    }
    const st = this.stateFor(optimizer);
    if (st.stage === 'stepped') throw new Error('GradScaler: step() has already been called since the last update()');
    this.checkInit('step');
    if (st.stage === 'ready') this.unscale_(optimizer);
    const found = (st.foundInf as Tensor).item();
    st.stage = 'stepped';
    if (found !== 0) return false;
    optimizer.step();
    return true;
  }

  /**
   * Updates S from the inf/NaN checks of this iteration (or sets it to `newScale`), and resets
   * the per-optimizer records. Call once per iteration after every `step`.
   */
  update(newScale?: number): void {
    if (!this.enabled) return;
    const scale = this.checkInit('update');
    const tracker = this.tracker as Tensor;
    tidy(() => {
      if (newScale !== undefined) {
        scale.fill_({ float: newScale });
        return;
      }
      const founds = [...this.perOptimizer.values()].map((s) => s.foundInf).filter((t): t is Tensor => t !== null);
      if (founds.length === 0) throw new Error('GradScaler: no inf checks were recorded prior to update()');
      const combined = founds[0].to({ device: scale.device, copy: true });
      for (const f of founds.slice(1)) combined.add_(f.to(scale.device));
      fused(
        '_amp_update_scale_',
        [scale.handle, tracker.handle, combined.handle, this.growthFactor, this.backoffFactor, this.growthInterval],
        scale.device,
        () => {
          if (combined.item() !== 0) {
            scale.copy_(scale.double().mul(this.backoffFactor).float());
            tracker.zero_();
          } else {
            const successful = tracker.item() + 1;
            if (successful === this.growthInterval) {
              const grown = scale.double().mul(this.growthFactor).float();
              if (grown.isfinite().all().item()) scale.copy_(grown);
              tracker.zero_();
            } else {
              tracker.fill_(successful);
            }
          }
        },
      );
    });
    for (const s of this.perOptimizer.values()) s.foundInf?.dispose();
    this.perOptimizer.clear();
  }

  private checkInit(what: string): Tensor {
    if (!this.scaleT) throw new Error(`GradScaler: ${what}() before any scale(): call scaler.scale(loss) first`);
    return this.scaleT;
  }

  /** The current scale S (1 when disabled). */
  getScale(): number {
    if (!this.enabled) return 1;
    return this.scaleT ? this.scaleT.item() : this.initScale;
  }

  /** Consecutive clean steps since the last growth/backoff. */
  getGrowthTracker(): number {
    return this.tracker ? this.tracker.item() : this.initTracker;
  }

  /** `{ scale, growth_factor, backoff_factor, growth_interval, _growth_tracker }` (empty when disabled). */
  stateDict(): GradScalerState | Record<string, never> {
    if (!this.enabled) return {};
    return {
      scale: this.getScale(),
      growth_factor: this.growthFactor,
      backoff_factor: this.backoffFactor,
      growth_interval: this.growthInterval,
      _growth_tracker: this.getGrowthTracker(),
    };
  }

  /** Restores the scale and growth tracker (factors and interval come from the constructor). */
  loadStateDict(sd: Partial<GradScalerState>): void {
    if (!this.enabled) return;
    if (typeof sd.scale !== 'number') throw new TypeError('GradScaler.loadStateDict: the state dict has no scale');
    if (this.scaleT) this.scaleT.fill_({ float: sd.scale });
    else this.initScale = sd.scale;
    const t = sd._growth_tracker ?? 0;
    if (this.tracker) this.tracker.fill_(t);
    else this.initTracker = t;
  }

  /** Frees the scale and tracker tensors. */
  dispose(): void {
    this.scaleT?.dispose();
    this.tracker?.dispose();
    this.scaleT = null;
    this.tracker = null;
    for (const s of this.perOptimizer.values()) s.foundInf?.dispose();
    this.perOptimizer.clear();
  }
}
