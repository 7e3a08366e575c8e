/**
 * `selfsup data`: dataset chores. `selfsup data prepare <name>` downloads (or takes a local copy of)
 * a standard dataset, checks it against the official checksums and lays it out where `--data`
 * reads it.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
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

/** Runs `selfsup data …`; returns the exit code (0 ok, 1 failure, 2 usage error). */
export async function dataCommand(argv: string[]): Promise<number> {
  const usage = (msg: string) => {
    console.error(`selfsup data: ${msg}\n\n${USAGE}`);
    return 2;
  };
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    return usage((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [sub, name, ...extra] = positionals;
  if (sub !== 'prepare') return usage(sub === undefined ? 'missing subcommand' : `unknown subcommand '${sub}'`);
  if (name === undefined) return usage('missing dataset name');
  if (!PREPARABLE.includes(name as PreparableName))
    return usage(`unknown dataset '${name}' (expected one of ${PREPARABLE.join(', ')})`);
  if (extra.length) return usage(`unexpected argument '${extra[0]}'`);
  let timeoutMs: number | undefined;
  if (values.timeout !== undefined) {
    const t = Number(values.timeout);
    if (!(t > 0)) return usage(`--timeout must be a positive number of seconds, got '${values.timeout}'`);
    timeoutMs = t * 1000;
  }
  if (values.from !== undefined && values.url !== undefined) return usage('give --from or --url, not both');
  if (values.checksum !== undefined) {
    try {
      parseChecksum(values.checksum);
    } catch (e) {
      if (e instanceof PrepareError) return usage(e.message);
      throw e;
    }
  }
  const out = values.out ?? join(process.env.SELFSUP_DATA ?? 'data', name);
  try {
    const r = await prepareDataset(name as PreparableName, {
      out,
      from: values.from,
      url: values.url,
      checksum: values.checksum,
      timeoutMs,
      force: values.force,
    });
    console.log(r.dir);
    return 0;
  } catch (e) {
    if (e instanceof Error) {
      console.error(`selfsup data prepare ${name}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      from: { type: 'string' },
      url: { type: 'string' },
      checksum: { type: 'string' },
      timeout: { type: 'string' },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
