/**
 * Steps the lr/momentum schedules (MMEngine's ParamSchedulerHook): iteration-based schedules
 * after every iteration, epoch-based ones after every epoch.
 */
import type { optim } from '@selfsup/torch';
import { Hook, PRIORITY } from './hook.js';

export class ParamSchedulerHook extends Hook {
  override priority: number = PRIORITY.LOW;

  /** Replaced when the runner re-fits its schedule (`Runner.refitSchedule`). */
  constructor(public schedulers: optim.ParamSchedulerList) {
    super();
  }

  override afterTrainIter(): void {
    this.schedulers.stepIter();
  }

  override afterTrainEpoch(): void {
    this.schedulers.stepEpoch();
  }
}
