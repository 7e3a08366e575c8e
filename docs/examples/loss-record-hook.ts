/**
 * A new hook as a user module: appends every iteration's loss to a JSON-lines file, and asks the
 * runner to stop (successfully) once the loss is below `stopBelow` — early stopping.
 */
import { appendFileSync } from 'node:fs';
import { definePart, Hook, HOOKS, type IterOutputs, posNum, type RunnerView, str, z } from 'selfsup';

export class LossRecordHook extends Hook {
  constructor(
    readonly file: string,
    readonly stopBelow: number | null,
  ) {
    super();
  }

  override afterTrainIter(runner: RunnerView, out: IterOutputs): void {
    appendFileSync(this.file, `${JSON.stringify({ iter: runner.progress.iter, loss: out.loss })}\n`);
    if (this.stopBelow !== null && out.loss < this.stopBelow)
      runner.requestStop(`loss ${out.loss} < ${this.stopBelow}`, { expected: true });
  }
}

export const lossRecordHookPart = definePart({
  registry: HOOKS,
  name: 'LossRecordHook',
  schema: z.strictObject({
    /** The JSON-lines file to append to. */
    file: str(),
    /** Stop once the loss is below this. */
    stopBelow: posNum().optional(),
  }),
  description: 'appends each iteration’s loss to a file; optional early stop',
  build: (o) => new LossRecordHook(o.file, o.stopBelow ?? null),
});

HOOKS.register(lossRecordHookPart);
