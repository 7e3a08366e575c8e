/**
 * Stops training once a wall-clock budget is spent (the runner then saves a resumable
 * checkpoint): for demos and for comparing methods at equal time, as the quality benchmark does.
 */
import { definePart } from '../../core/registry.js';
import { posNum, z } from '../../core/schema.js';
import { HOOKS } from '../registries.js';
import { Hook, PRIORITY, type RunnerView } from './hook.js';

export class TimeBudgetHook extends Hook {
  override priority: number = PRIORITY.LOWEST;
  private start = 0;

  constructor(readonly seconds: number) {
    super();
  }

  override beforeRun(): void {
    this.start = performance.now();
  }

  override afterTrainIter(runner: RunnerView): void {
    if ((performance.now() - this.start) / 1000 >= this.seconds)
      runner.requestStop(`time budget of ${this.seconds} s spent`, { expected: true });
  }
}

export const timeBudgetHookPart = definePart({
  registry: HOOKS,
  name: 'TimeBudgetHook',
  schema: z.strictObject({ seconds: posNum() }),
  description: 'stops training after `seconds` of wall clock (a resumable checkpoint is saved)',
  build: (o) => new TimeBudgetHook(o.seconds),
});
