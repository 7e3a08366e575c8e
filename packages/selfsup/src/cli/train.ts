/**
 * `selfsup train <config>`: pre-trains with a config (MMSelfSup's tools/train.py), resumable,
 * on one process or several (`--nproc-per-node`, torchrun semantics).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import * as torch from '@selfsup/torch';
import { prepareConfig } from '../engine/config/prepare.js';
import { importUserModules } from '../core/user-modules.js';
import { adoptSlurmEnv, distributedEnv, launch } from '../engine/launch.js';
import { describeHookSeconds, describeSizeSeconds, fitToSeconds, PROBE_ITERS } from '../engine/fit-schedule.js';
import { writeRunReport } from '../engine/run-report.js';
import { Runner } from '../engine/runner.js';
import { resolveDevice } from '../engine/device.js';
import type { Config } from '../engine/config/config.js';
import { makeWritableDir } from '../engine/work-dir.js';
import { EXIT, numberFlag, printJson, UsageError } from './args.js';
import { defineCommand, runCommand, type Values } from './command.js';
import { resolveConfigArg } from './config-arg.js';
import { checkImageFolder, useImageFolder } from './own-data.js';

/** The work dir a work dir's config.json records (where its checkpoints are), if `file` is one. */
function recordedWorkDir(file: string): string | undefined {
  if (extname(file) !== '.json') return undefined;
  try {
    const w = (JSON.parse(readFileSync(file, 'utf8')) as { workDir?: unknown }).workDir;
    return typeof w === 'string' ? resolve(dirname(file), w) : undefined;
  } catch {
    return undefined;
  }
}

export const TRAIN_USAGE = `usage: selfsup train <config> [options]

Pre-trains a backbone with an algorithm config: a .ts/.js/.json file, a bundled config's name or
the path \`selfsup list configs\` prints (from any directory), or a work dir's config.json (which
records its work dir: \`selfsup train DIR/config.json --resume\` continues that run).

options:
  --work-dir DIR            outputs (default: the one a config.json records, else work_dirs/<config name>)
  --resume [CKPT]           resume from CKPT, or from the work dir's latest checkpoint
  --data DIR                train on a folder of images (class sub-folders or flat) instead of the
                            config's dataset, with the config's pipeline (the kNN monitor goes off)
  --size N                  with --data: every crop/resize step of the pipeline outputs N px (a ViT's
                            imgSize or a mask generator's inputSize: set them with --cfg-options)
  --auto-scale-lr           scale lr by (processes × batch size) / autoScaleLr.baseBatchSize (MMEngine)
  --cfg-options K=V ...     override config values (model.neck.outChannels=64 optimWrapper.optimizer.lr=0.1)
  --seed N                  randomness.seed
  --deterministic           deterministic algorithms
  --max-minutes M           stop after M minutes of training (a resumable checkpoint is saved)
  --fit-minutes M           fit the whole schedule (warm-up, decay, intervals) into M minutes: times
                            ${PROBE_ITERS} iterations first, then trains that many iterations as fit (one process)
  --import FILE             load a module that registers custom parts (repeatable)
  --device D                auto (default: a GPU when there is one), cpu, cuda, cuda:N
  --nproc-per-node N        processes on this machine (distributed: NCCL on GPUs, else Gloo)
  --nnodes N --node-rank R --master-addr HOST --master-port PORT
  --launcher L              none (default: torchrun-style variables when set), or slurm: one process
                            per srun task, ranks from SLURM_* (tools/slurm_train.sh)
  --quiet                   only errors
  --json                    print the result as JSON on the last line
  -h, --help
`;

const OPTIONS = {
  'work-dir': { type: 'string' },
  resume: { type: 'string', optionalValue: true },
  data: { type: 'string' },
  size: { type: 'string', number: { integer: true, min: 1 } },
  'auto-scale-lr': { type: 'boolean' },
  seed: { type: 'string', number: { integer: true, min: 0 } },
  deterministic: { type: 'boolean' },
  'max-minutes': { type: 'string', number: { min: 0 } },
  'fit-minutes': { type: 'string', number: { min: 0 } },
  import: { type: 'string', multiple: true },
  device: { type: 'string' },
  'nproc-per-node': { type: 'string', number: { integer: true, min: 1 } },
  launcher: { type: 'string' },
  nnodes: { type: 'string', number: { integer: true, min: 1 } },
  'node-rank': { type: 'string', number: { integer: true, min: 0 } },
  'master-addr': { type: 'string' },
  'master-port': { type: 'string', number: { integer: true, min: 1 } },
  quiet: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export const TRAIN = defineCommand({
  name: 'train',
  summary: 'pre-train a backbone with an algorithm config (resumable, multi-process)',
  usage: TRAIN_USAGE,
  args: '<config>',
  options: OPTIONS,
  cfgOptions: true,
  run: runTrain,
});

/** Runs `selfsup train <argv>`; returns the exit code. */
export const train = (argv: string[]): Promise<number> => runCommand(TRAIN, argv);

async function runTrain(
  values: Values<typeof OPTIONS>,
  positionals: string[],
  cfgOptions: string[],
  argv: string[],
): Promise<number> {
  const launcher = values.launcher ?? 'none';
  if (!['none', 'pytorch', 'slurm'].includes(launcher))
    throw new UsageError(`--launcher: none, pytorch or slurm, got '${launcher}'`);
  if (launcher === 'slurm') adoptSlurmEnv();
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

  const size = numberFlag(values.size, '--size', { integer: true, min: 1 });
  if (size !== undefined && values.data === undefined) throw new UsageError('--size goes with --data (it sizes your images)');
  await importUserModules(values.import ?? []);
  const file = resolveConfigArg(positionals[0]);
  const extra = [...cfgOptions];
  if (values.seed !== undefined) extra.push(`randomness.seed=${numberFlag(values.seed, '--seed', { integer: true, min: 0 })}`);
  if (values.deterministic) extra.push('randomness.deterministic=true');
  const notes: string[] = [];
  let cfg = prepareConfig(file, extra, {
    edit: (raw) => {
      if (values.data !== undefined) notes.push(...useImageFolder(raw, values.data, size));
    },
  });
  if (values['auto-scale-lr']) {
    // As MMSelfSup's tools/train.py: the flag turns on the config's own autoScaleLr.
    if (cfg.autoScaleLr === undefined)
      throw new UsageError(
        '--auto-scale-lr: the config has no autoScaleLr.baseBatchSize (the batch its lr was written for); ' +
          'add it to the config or with --cfg-options autoScaleLr.baseBatchSize=N',
      );
    cfg.autoScaleLr = { ...cfg.autoScaleLr, enable: true };
  }
  if (values.data !== undefined) {
    const d = checkImageFolder(cfg, values.data);
    if (!values.quiet)
      console.error(
        `selfsup train: --data ${values.data}: ${d.images} images${d.classes > 1 ? ` in ${d.classes} classes` : ''}` +
          `${notes.length ? `; ${notes.join('; ')}` : ''}`,
      );
  }
  const fitMinutes = numberFlag(values['fit-minutes'], '--fit-minutes', { min: 0 });
  let maxMinutes = numberFlag(values['max-minutes'], '--max-minutes', { min: 0 });
  if (fitMinutes !== undefined) {
    if (values.resume !== undefined)
      throw new UsageError('--fit-minutes cannot be combined with --resume: resume from the fitted run with its config.json');
    if (!values.quiet)
      console.error(`selfsup train: timing ${PROBE_ITERS} iterations to fit the schedule into ${fitMinutes} min`);
    const fit = await fitToSeconds(cfg, fitMinutes * 60);
    cfg = fit.cfg;
    if (!values.quiet)
      console.error(
        `selfsup train: ${fit.secondsPerIter.toFixed(3)} s per iteration${describeSizeSeconds(fit)}${describeHookSeconds(fit)} → ${fit.maxIters} iterations ` +
          `(${(fit.maxIters / fit.itersPerEpoch).toFixed(2)} epochs); the fitted config is saved as config.json`,
      );
    // The fit is an estimate; the time limit still holds if the machine slows down.
    maxMinutes ??= fitMinutes;
  }
  if (maxMinutes !== undefined)
    cfg.customHooks = [...(cfg.customHooks ?? []), { type: 'TimeBudgetHook', seconds: maxMinutes * 60 }];
  const name = basename(file, extname(file)) === 'config' ? basename(resolve(file, '..')) : basename(file, extname(file));
  cfg.expName ??= name;
  const workDir = resolve(values['work-dir'] ?? recordedWorkDir(file) ?? cfg.workDir ?? join('work_dirs', name));

  const env = distributedEnv();
  if (env && !torch.distributed.isInitialized())
    torch.distributed.initProcessGroup({ backend: distBackend(cfg, env.localRank, values.device) });
  const rank = torch.distributed.getRank();
  if (rank === 0) {
    makeWritableDir(workDir);
    writeFileSync(join(workDir, 'config.json'), `${JSON.stringify({ ...cfg, workDir }, null, 2)}\n`);
  }
  const runner = new Runner(cfg, {
    workDir,
    resume: values.resume === undefined ? false : values.resume === '' ? true : values.resume,
    quiet: values.quiet,
    device: values.device,
  });
  runner.log(
    `selfsup train: ${cfg.expName}, ${runner.maxEpochs} epochs × ${runner.itersPerEpoch} iterations, ` +
      `${runner.worldSize} process${runner.worldSize > 1 ? 'es' : ''} on ${runner.device}, libtorch ${torch.version}, ${torch.getNumThreads()} threads; work dir ${workDir}`,
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
  const signal = /^interrupted \((SIG[A-Z]+)\)/.exec(result.stopped ?? '')?.[1] as NodeJS.Signals | undefined;
  if (signal) {
    // The last line a user (or a script) sees after Ctrl-C; the checkpoint line above says how to resume.
    console.error(`interrupted: ${Math.max(0, runner.maxIters - result.iters)} iterations remain`);
    // The shell's convention: 128 + the signal's number (130 for SIGINT).
    return 128 + (osConstants.signals[signal] ?? EXIT.INTERRUPTED - 128);
  }
  return result.interrupted ? EXIT.FAILURE : EXIT.OK;
}

/**
 * The c10d backend: the config's `envCfg.distCfg.backend`, else NCCL when this process trains on a
 * GPU and the addon has NCCL (PyTorch's choice), else Gloo.
 */
function distBackend(cfg: Config, localRank: number, deviceFlag: string | undefined): 'gloo' | 'nccl' {
  const asked = cfg.envCfg?.distCfg?.backend;
  if (asked) return asked;
  const device = resolveDevice(deviceFlag ?? cfg.device, localRank, deviceFlag ? '--device' : 'device');
  return device.startsWith('cuda') && torch.distributed.isNcclAvailable() ? 'nccl' : 'gloo';
}
