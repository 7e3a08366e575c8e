/**
 * `selfsup data`: dataset chores. `selfsup data prepare <name>` downloads (or takes a local copy of)
 * a standard dataset, checks it against the official checksums and lays it out where `--data`
 * reads it.
 */
import { join } from 'node:path';
import { progressBars } from '../core/progress.js';
import { UsageError } from './args.js';
import { type CommandSpec, defineCommand, runCommand, type Values } from './command.js';
import { PREPARABLE, type PreparableName, PrepareError, parseChecksum, prepareDataset } from '../data/prepare.js';

const USAGE = `usage: selfsup data prepare <${PREPARABLE.join('|')}> [options]

Downloads a dataset from its official location (or takes a local archive or folder), checks its
MD5 against the official one, and extracts it where --data <dir> reads it. Running it again on a
prepared folder does nothing.

options:
  --out <dir>          where to put it (default: $SELFSUP_DATA/<name>, else ./data/<name>)
  --from <path>        a local archive or folder instead of downloading
  --url <url>          download from here (the archive's URL; for mnist and fashion-mnist the
                       folder URL holding the four .gz files)
  --checksum <c>       expected md5:<hex> or sha256:<hex> of the one file fetched, instead of the official one
  --timeout <s>        give up a download after this many seconds without data (default 30)
  --force              prepare again even if --out is already prepared
  -h, --help           this help
`;

const PREPARE_OPTIONS = {
  out: { type: 'string' },
  from: { type: 'string' },
  url: { type: 'string' },
  checksum: { type: 'string' },
  timeout: { type: 'string', number: { positive: true } },
  force: { type: 'boolean' },
} as const;

export const DATA = defineCommand({
  name: 'data',
  summary: 'prepare a standard dataset (CIFAR-10/100, STL-10, MNIST, Fashion-MNIST)',
  usage: USAGE,
  subcommands: [
    defineCommand({
      name: 'prepare',
      summary: 'download (or take a local copy of) a dataset, check it, lay it out for --data',
      usage: USAGE,
      args: '<name>',
      options: PREPARE_OPTIONS,
      run: prepare,
    }) as CommandSpec,
  ],
});

/** Runs `selfsup data …`; returns the exit code (0 ok, 1 failure, 2 usage error). */
export const dataCommand = (argv: string[]): Promise<number> => runCommand(DATA, argv);

async function prepare(values: Values<typeof PREPARE_OPTIONS>, [name]: string[]): Promise<number> {
  if (!PREPARABLE.includes(name as PreparableName))
    throw new UsageError(`unknown dataset '${name}' (expected one of ${PREPARABLE.join(', ')})`);
  const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout) * 1000;
  if (values.from !== undefined && values.url !== undefined) throw new UsageError('give --from or --url, not both');
  if (values.checksum !== undefined) {
    try {
      parseChecksum(values.checksum);
    } catch (e) {
      if (e instanceof PrepareError) throw new UsageError(e.message);
      throw e;
    }
  }
  const out = values.out ?? join(process.env.SELFSUP_DATA ?? 'data', name);
  const r = await prepareDataset(name as PreparableName, {
    out,
    from: values.from,
    url: values.url,
    checksum: values.checksum,
    timeoutMs,
    force: values.force,
    progress: progressBars,
  });
  console.log(r.dir);
  return 0;
}
