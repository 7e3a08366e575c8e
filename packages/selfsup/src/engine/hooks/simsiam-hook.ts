/**
 * MMSelfSup's `SimSiamHook` (Chen & He 2021, "Exploring Simple Siamese Representation Learning",
 * arXiv:2011.10566, §4.3: a fixed predictor lr works better): the parameter groups flagged
 * `fix_lr` keep the base lr while the lr schedule changes every other group.
 *
 * Flag the predictor's groups through the optimizer's paramwise rules; a custom key's settings
 * other than `lrMult`/`decayMult`/`requiresGrad` are copied into the group (and saved with it as
 * `fix_lr`):
 *
 *   optimWrapper: { optimizer: { type: 'SGD', lr: 0.05, … },
 *                   paramwiseCfg: { customKeys: { predictor: { fixLr: true } } } }
 *   customHooks: [{ type: 'SimSiamHook', fixPredLr: true, lr: 0.05, adjustByEpoch: false }]
 *
 * The lr is set before every epoch and, with `adjustByEpoch: false` (for iteration-based
 * schedules), before every iteration, so it holds for the optimizer step whatever the scheduler
 * (which runs after the iteration) wrote.
 */
import { bool, num, posNum, z } from '../../core/schema.js';
import { definePart } from '../../core/registry.js';
import { HOOKS } from '../registries.js';
import { Hook, PRIORITY, type PriorityName, type RunnerView } from './hook.js';

/** `SimSiamHook` options (everything but `type`). */
export const simSiamHookSchema = z.strictObject({
  /** Keep the flagged groups' lr fixed. */
  fixPredLr: bool(),
  /** The fixed lr (the optimizer's base lr). */
  lr: posNum(),
  /** Set it only at epoch starts (epoch-based schedules). Default true (MMSelfSup's). */
  adjustByEpoch: bool().optional(),
  /** Default 'HIGH' (MMSelfSup's configs): before the other hooks of an iteration. */
  priority: z.union([z.enum(Object.keys(PRIORITY) as [PriorityName, ...PriorityName[]]), num()]).optional(),
});
export type SimSiamHookOptions = z.input<typeof simSiamHookSchema>;

/** The group setting that marks a parameter group's lr as fixed. */
export const FIX_LR_KEY = 'fix_lr';

/** SimSiam (Chen & He 2021): holds the lr of the groups flagged `fix_lr` at `lr`. */
export class SimSiamHook extends Hook {
  readonly fixPredLr: boolean;
  readonly lr: number;
  readonly adjustByEpoch: boolean;
  private warned = false;

  constructor(opts: SimSiamHookOptions) {
    super();
    this.fixPredLr = opts.fixPredLr;
    this.lr = opts.lr;
    this.adjustByEpoch = opts.adjustByEpoch ?? true;
    const p = opts.priority ?? 'HIGH';
    this.priority = typeof p === 'number' ? p : PRIORITY[p];
  }

  /** Sets the lr of every flagged group; returns how many groups were flagged. */
  fixLr(runner: RunnerView): number {
    if (!this.fixPredLr) return 0;
    const opt = runner.optimWrapper;
    let flagged = 0;
    opt.paramGroups.forEach((g, i) => {
      if (g.extra[FIX_LR_KEY] !== true) return;
      opt.setHyper(i, 'lr', this.lr);
      flagged++;
    });
    if (flagged === 0 && !this.warned) {
      this.warned = true;
      process.emitWarning(
        'SimSiamHook: no parameter group is flagged fix_lr; add paramwise customKeys: { predictor: { fixLr: true } }',
      );
    }
    return flagged;
  }

  override beforeTrainEpoch(runner: RunnerView): void {
    this.fixLr(runner);
  }

  override beforeTrainIter(runner: RunnerView): void {
    if (!this.adjustByEpoch) this.fixLr(runner);
  }
}

export const simSiamHookPart = definePart({
  registry: HOOKS,
  name: 'SimSiamHook',
  schema: simSiamHookSchema,
  description: 'SimSiam: keeps the lr of groups flagged fix_lr (the predictor) at the base lr',
  build: (o) => new SimSiamHook(o),
});
