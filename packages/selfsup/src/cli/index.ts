/**
 * The `selfsup` command line on commander: one file per command under src/cli, each exporting a
 * {@link CommandSpec} (see src/cli/command.ts for how to add one).
 *
 * The stream rule: stdout holds the result a script reads — a table, a list, the measured numbers,
 * or with `--json` exactly one JSON line and nothing else. stderr holds the rest: progress bars
 * (core/progress.ts), status, warnings, and the notes that say what was written where ("saved …",
 * "… → file"), since a command whose product is a file has that file as its result.
 * test/cli/streams.test.ts checks every result-printing command.
 */
import '../builtins.js';
import { readFileSync } from 'node:fs';
import { ANALYZE_LOGS } from './analyze-logs.js';
import { EXIT } from './args.js';
import { BROWSE_DATASET } from './browse-dataset.js';
import { CONVERT } from './convert.js';
import { addCommand, type CommandSpec, createProgram, defineCommand, runProgram } from './command.js';
import { DATA } from './data.js';
import { DEMO } from './demo.js';
import { EVAL } from './eval.js';
import { EXPORT } from './export.js';
import { EXTRACT } from './extract.js';
import { FLOPS } from './flops.js';
import { LIST } from './list.js';
import { TRAIN } from './train.js';
import { VIS } from './vis.js';
import { ZOO } from './zoo.js';

/** selfsup's version, from its package.json (dist/src/cli → the package root). */
function packageVersion(): string {
  try {
    const url = new URL('../../../package.json', import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

const VERSION = defineCommand({
  name: 'version',
  summary: "print selfsup's and libtorch's versions, CUDA/cuDNN and the GPUs",
  usage: "usage: selfsup version\n\nselfsup's and libtorch's versions, CUDA/cuDNN and the GPUs.\n",
  options: {},
  run: async () => {
    const torch = await import('@selfsup/torch');
    console.log(`selfsup ${packageVersion()}, libtorch ${torch.version}, ${torch.getNumThreads()} threads`);
    const c = torch.cuda.info();
    if (c.runtime === null) console.log('CUDA: not in this build (CPU libtorch)');
    else {
      const nccl = torch.distributed.isNcclAvailable() ? ', NCCL' : '';
      console.log(
        `CUDA ${c.runtime}, cuDNN ${c.cudnn ?? 'none'}${nccl}; ${c.devices.length} GPU${c.devices.length === 1 ? '' : 's'}`,
      );
      for (const d of c.devices) {
        const mem = d.totalMemory === undefined ? '' : `, ${(d.totalMemory / 2 ** 30).toFixed(0)} GiB`;
        const cap = d.capability === undefined ? '' : `, compute capability ${d.capability}`;
        console.log(`  cuda:${d.index}: ${d.name ?? 'GPU'}${mem}${cap}`);
      }
    }
    return EXIT.OK;
  },
});

/** Every command, in the order `selfsup --help` lists them. */
export const COMMANDS: CommandSpec[] = [
  TRAIN,
  LIST,
  ANALYZE_LOGS,
  DATA,
  BROWSE_DATASET,
  EVAL,
  EXTRACT,
  VIS,
  CONVERT,
  EXPORT,
  ZOO,
  FLOPS,
  DEMO,
  VERSION,
] as CommandSpec[];

const EPILOG = `
exit codes: 0 ok, 1 failure, 2 usage or config error, 130 interrupted
streams: results (tables, --json) on stdout; progress, status and what was written where on stderr`;

/** Runs `selfsup <argv>`; returns the exit code (never calls process.exit). */
export async function main(argv: string[]): Promise<number> {
  const program = createProgram()
    .description('self-supervised learning for images, on libtorch')
    .usage('<command> [options]')
    .version(packageVersion(), '-V, --version', "print selfsup's version")
    .addHelpText('after', EPILOG);
  for (const spec of COMMANDS) addCommand(program, spec);
  return runProgram(program, argv);
}
