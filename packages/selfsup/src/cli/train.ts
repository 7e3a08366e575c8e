/**
 * `selfsup train <config>`: pre-trains with a config (MMSelfSup's tools/train.py), resumable,
 * on one process or several (`--nproc-per-node`, torchrun semantics).
 */
import { writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import * as torch from '@selfsup/torch';
import { prepareConfig } from '../engine/config/prepare.js';
import { importUserModules } from '../core/user-modules.js';
import { distributedEnv, launch } from '../engine/launch.js';
import { fitToSeconds } from '../engine/fit-schedule.js';
import { writeRunReport } from '../engine/run-report.js';
import { Runner } from '../engine/runner.js';
import { makeWritableDir } from '../engine/work-dir.js';
import { EXIT, numberFlag, parseCommand, printJson, UsageError } from './args.js';

export const TRAIN_USAGE = `usage: selfsup train <config> [options]

Pre-trains a backbone with an algorithm config (.ts, .js or a work dir's config.json).

options:
  --work-dir DIR            outputs (default work_dirs/<config name>)
  --resume [CKPT]           resume from CKPT, or from the work dir's latest checkpoint
  --cfg-options K=V ...     override config values (model.neck.outChannels=64 optimWrapper.optimizer.lr=0.1)
  --seed N                  randomness.seed
  --deterministic           deterministic algorithms
  --max-minutes M           stop after M minutes of training (a resumable checkpoint is saved)
  --fit-minutes M           fit the whole schedule (warm-up, decay, intervals) into M minutes: times
                            16 iterations first, then trains that many iterations as fit (one process)
  --import FILE             load a module that registers custom parts (repeatable)
  --nproc-per-node N        processes on this machine (distributed, Gloo)
  --nnodes N --node-rank R --master-addr HOST --master-port PORT
  --quiet                   only errors
  --json                    print the result as JSON on the last line
  -h, --help
`;

const OPTIONS = {
  'work-dir': { type: 'string' },
  resume: { type: 'string' },
  seed: { type: 'string' },
  deterministic: { type: 'boolean' },
  'max-minutes': { type: 'string' },
  'fit-minutes': { type: 'string' },
  import: { type: 'string', multiple: true },
  'nproc-per-node': { type: 'string' },
  nnodes: { type: 'string' },
  'node-rank': { type: 'string' },
  'master-addr': { type: 'string' },
  'master-port': { type: 'string' },
  quiet: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function train(argv: string[]): Promise<number> {
  // `--resume` may stand alone (latest) or take a path: give the bare flag an explicit value.
  const args = argv.map((a, i) => (a === '--resume' && (i + 1 >= argv.length || argv[i + 1].startsWith('--')) ? '--resume=' : a));
  const { values, positionals, cfgOptions } = parseCommand(args, OPTIONS, { positionals: true });
  if (values.help) {
    console.log(TRAIN_USAGE);
    return EXIT.OK;
  }
  if (positionals.length !== 1) throw new UsageError('train needs exactly one config file');
  const nproc = numberFlag(values['nproc-per-node'], '--nproc-per-node', { integer: true, min: 1 }) ?? 1;
  const nnodes = numberFlag(values.nnodes, '--nnodes', { integer: true, min: 1 }) ?? 1;
  if (values['fit-minutes'] !== undefined && (nproc * nnodes > 1 || distributedEnv()))
    throw new UsageError('--fit-minutes runs on one process (each process would time itself differently)');
  if (nproc * nnodes > 1 && !distributedEnv()) {
    const keep: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      const flag = argv[i].split('=')[0];
      if (['--nproc-per-node', '--nnodes', '--node-rank', '--master-addr', '--master-port'].includes(flag)) {
        if (!argv[i].includes('=')) i++;
        continue;
      }
      keep.push(argv[i]);
    }
    return launch({
      nprocPerNode: nproc,
      nnodes,
      nodeRank: numberFlag(values['node-rank'], '--node-rank', { integer: true, min: 0 }),
      masterAddr: values['master-addr'],
      masterPort: numberFlag(values['master-port'], '--master-port', { integer: true, min: 1 }),
      args: ['train', ...keep],
    });
  }

  await importUserModules(values.import ?? []);
  const file = positionals[0];
  const extra = [...cfgOptions];
  if (values.seed !== undefined) extra.push(`randomness.seed=${numberFlag(values.seed, '--seed', { integer: true, min: 0 })}`);
  if (values.deterministic) extra.push('randomness.deterministic=true');
  let cfg = prepareConfig(file, extra);
  const fitMinutes = numberFlag(values['fit-minutes'], '--fit-minutes', { min: 0 });
  let maxMinutes = numberFlag(values['max-minutes'], '--max-minutes', { min: 0 });
  if (fitMinutes !== undefined) {
    if (values.resume !== undefined)
      throw new UsageError('--fit-minutes cannot be combined with --resume: resume from the fitted run with its config.json');
    if (!values.quiet) console.log(`selfsup train: timing 16 iterations to fit the schedule into ${fitMinutes} min`);
    const fit = await fitToSeconds(cfg, fitMinutes * 60);
    cfg = fit.cfg;
    if (!values.quiet)
      console.log(
        `selfsup train: ${fit.secondsPerIter.toFixed(3)} s per iteration → ${fit.maxIters} iterations ` +
          `(${(fit.maxIters / fit.itersPerEpoch).toFixed(2)} epochs); the fitted config is saved as config.json`,
      );
    // The fit is an estimate; the time limit still holds if the machine slows down.
    maxMinutes ??= fitMinutes;
  }
  if (maxMinutes !== undefined)
    cfg.customHooks = [...(cfg.customHooks ?? []), { type: 'TimeBudgetHook', seconds: maxMinutes * 60 }];
  const name = basename(file, extname(file)) === 'config' ? basename(resolve(file, '..')) : basename(file, extname(file));
  cfg.expName ??= name;
  const workDir = resolve(values['work-dir'] ?? cfg.workDir ?? join('work_dirs', name));

  const env = distributedEnv();
  if (env && !torch.distributed.isInitialized()) torch.distributed.initProcessGroup();
  const rank = torch.distributed.getRank();
  if (rank === 0) {
    makeWritableDir(workDir);
    writeFileSync(join(workDir, 'config.json'), `${JSON.stringify({ ...cfg, workDir }, null, 2)}\n`);
  }
  const runner = new Runner(cfg, {
    workDir,
    resume: values.resume === undefined ? false : values.resume === '' ? true : values.resume,
    quiet: values.quiet,
  });
  runner.log(
    `selfsup train: ${cfg.expName}, ${runner.maxEpochs} epochs × ${runner.itersPerEpoch} iterations, ` +
      `${runner.worldSize} process${runner.worldSize > 1 ? 'es' : ''}, libtorch ${torch.version}, ${torch.getNumThreads()} threads; work dir ${workDir}`,
  );
  const result = await runner.train();
  if (env) torch.distributed.destroyProcessGroup();
  if (rank === 0) {
    runner.log(
      `selfsup train: ${result.stopped ? `stopped (${result.stopped})` : 'done'} after ${result.iters} iterations in ${result.seconds.toFixed(1)} s; ` +
        `checkpoint ${result.checkpoint ?? 'none'}`,
    );
    const report = await writeRunReport(runner, result);
    runner.log(`selfsup train: report ${report}`);
    if (values.json) printJson({ workDir, ...result, report });
  }
  return result.interrupted ? EXIT.FAILURE : EXIT.OK;
}
