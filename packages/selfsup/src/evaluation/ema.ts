/**
 * An exponential moving average of a model's weights (Polyak & Juditsky 1992; the model EMA of
 * fine-tuning recipes, e.g. DeiT's and mmpretrain's `EMAHook`), with MMEngine's
 * `ExponentialMovingAverage` conventions: `momentum` is the weight of the new value,
 * `avg ← avg + momentum·(param − avg)` (`lerp_`), the first update copies, updates every
 * `interval` steps, and buffers (BatchNorm statistics) follow the model unless `updateBuffers`
 * averages them too. `swap` exchanges the averaged and the live weights in place, which is how
 * MMEngine's EMAHook evaluates with the EMA weights and then trains on.
 */
import * as torch from '@selfsup/torch';
import type { nn, Tensor } from '@selfsup/torch';

export interface EmaOptions {
  /** Weight of the new value per update (MMEngine's default 0.0002; timm's decay 0.9999 is 1e-4). */
  momentum?: number;
  /** Update every `interval` calls (default 1). */
  interval?: number;
  /** Average floating-point buffers too instead of following the model's (default false). */
  updateBuffers?: boolean;
}

/** The averaged copies of a module's parameters (and buffers with `updateBuffers`), by state-dict name. */
export class ExponentialMovingAverage {
  readonly momentum: number;
  readonly interval: number;
  readonly updateBuffers: boolean;
  /** Updates seen (MMEngine's `steps`). */
  steps = 0;
  private readonly averaged = new Map<string, Tensor>();

  constructor(model: nn.Module, o: EmaOptions = {}) {
    this.momentum = o.momentum ?? 0.0002;
    this.interval = o.interval ?? 1;
    this.updateBuffers = o.updateBuffers ?? false;
    if (!(this.momentum > 0 && this.momentum < 1))
      throw new RangeError(`ExponentialMovingAverage: momentum must be in (0, 1), got ${this.momentum}`);
    if (!(Number.isInteger(this.interval) && this.interval >= 1))
      throw new RangeError(`ExponentialMovingAverage: interval must be a positive integer, got ${this.interval}`);
    for (const [name, t] of this.tracked(model))
      this.averaged.set(
        name,
        torch.tidy(() => torch.noGrad(() => t.detach().clone())),
      );
  }

  /** The tensors averaged: parameters, and buffers with `updateBuffers`. */
  private *tracked(model: nn.Module): Generator<[string, Tensor]> {
    yield* model.namedParameters();
    if (this.updateBuffers) yield* model.namedBuffers();
  }

  /** The averaged value of `name` (a parameter's or buffer's state-dict name). */
  get(name: string): Tensor {
    const t = this.averaged.get(name);
    if (!t) throw new RangeError(`ExponentialMovingAverage: no averaged tensor '${name}'`);
    return t;
  }

  /** One update from the model's current weights (MMEngine's `update_parameters`). */
  update(model: nn.Module): void {
    torch.tidy(() =>
      torch.noGrad(() => {
        for (const [name, src] of this.tracked(model)) {
          const avg = this.get(name);
          // As MMEngine: integer buffers (BatchNorm's counter) keep their first value.
          if (this.steps === 0) avg.copy_(src);
          else if (this.steps % this.interval === 0 && avg.isFloatingPoint()) avg.lerp_(src, this.momentum);
        }
      }),
    );
    this.steps++;
  }

  /** Exchanges the averaged weights with the model's, in place (twice restores both). */
  swap(model: nn.Module): void {
    torch.noGrad(() => {
      for (const [name, live] of this.tracked(model)) {
        const avg = this.get(name);
        torch.tidy(() => {
          const tmp = live.detach().clone();
          live.copy_(avg);
          avg.copy_(tmp);
        });
      }
    });
  }

  dispose(): void {
    for (const t of this.averaged.values()) t.dispose();
    this.averaged.clear();
  }
}
