/**
 * `selfsup zoo list|get|add`: a model zoo of pre-trained backbones (src/interop/zoo): list a zoo's
 * entries, fetch one (sha256-verified) into a folder or the local cache, add a trained work dir.
 */
import { zooAdd } from '../interop/zoo/add.js';
import { zooGet } from '../interop/zoo/get.js';
import { describeZoo, entryFiles, readManifest, type ZooEntry, zooLocation } from '../interop/zoo/manifest.js';
import { EXIT, printJson, UsageError } from './args.js';
import { type CommandSpec, defineCommand, runCommand, type Values } from './command.js';

export const ZOO_USAGE = `usage: selfsup zoo list [--zoo DIR|URL] [--json]
       selfsup zoo get <name> [--zoo DIR|URL] [--out DIR] [--timeout S] [--json]
       selfsup zoo add <workdir> --zoo DIR --name NAME [--knn-json F] [--linear-json F] [--knn-k K]
                       [--budget-minutes M] [--machine TEXT] [--with-checkpoint] [--fp16] [--json]

A zoo is a directory or an http(s) base URL holding zoo.json and the files it names (docs/zoo.md).
The zoo: --zoo, else $SELFSUP_ZOO, else the local cache ($SELFSUP_CACHE/zoo, default
~/.cache/selfsup/zoo: the entries fetched so far). There is no public default URL.

list: one row per entry (name, algorithm, backbone, training budget, kNN top-1 (k), linear top-1,
  size of its files).
get: copies or downloads the entry's files into --out (default: <cache>/zoo/<name>, then recorded
  in the cache's zoo.json), checking each sha256 as it streams; a mismatch removes the partial file
  and fails; a file already there with the right hash is not fetched again.
add: exports the work dir's backbone (as 'selfsup export backbone'), copies its config.json and
  log.jsonl (and with --with-checkpoint its latest checkpoint) into DIR/NAME/, takes the kNN / linear
  numbers from 'selfsup eval knn|linear --json' output (--knn-json / --linear-json, else the work
  dir's eval.json, eval_knn.json, eval_linear.json), and writes DIR/zoo.json (replacing an entry
  of the same name). --machine defaults to this machine's CPU and GPUs. --fp16 stores the backbone
  in half precision (half the bytes; the card's dtype says so).
`;

const pct = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(2));

/** `1.2 MB`-style size. */
function size(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e3).toFixed(1)} kB`;
}

function budget(e: ZooEntry): string {
  const b = e.budget;
  return `${b.epochs} ep / ${b.iters} it${b.minutes !== undefined ? `, ${b.minutes} min` : ''}`;
}

/** The `zoo list` table: padded columns, a header row. */
export function formatZooTable(entries: ZooEntry[]): string {
  const rows = [
    ['name', 'algorithm', 'backbone', 'budget', 'kNN top-1', 'linear top-1', 'size'],
    ...entries.map((e) => [
      e.name,
      e.algorithm,
      e.backbone,
      budget(e),
      e.knn ? `${pct(e.knn.top1)} (k=${e.knn.k})` : '—',
      e.linear ? pct(e.linear.top1) : '—',
      size(entryFiles(e).reduce((s, [, f]) => s + f.bytes, 0)),
    ]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const LIST_OPTIONS = { zoo: { type: 'string' }, json: { type: 'boolean' } } as const;

async function listCommand(values: Values<typeof LIST_OPTIONS>): Promise<number> {
  const { location, isDefault } = zooLocation(values.zoo);
  const m = await readManifest(location, { missingIsEmpty: isDefault });
  if (values.json) printJson({ zoo: describeZoo(location), entries: m.entries });
  else if (m.entries.length === 0)
    console.error(
      `selfsup zoo: ${describeZoo(location)} has no entries${isDefault ? ' (the local cache; give --zoo DIR|URL or set SELFSUP_ZOO)' : ''}`,
    );
  else console.log(formatZooTable(m.entries));
  return EXIT.OK;
}

const GET_OPTIONS = {
  zoo: { type: 'string' },
  out: { type: 'string' },
  timeout: { type: 'string', number: { positive: true } },
  json: { type: 'boolean' },
} as const;

async function getCommand(values: Values<typeof GET_OPTIONS>, [name]: string[]): Promise<number> {
  const { location } = zooLocation(values.zoo);
  const r = await zooGet(location, name, {
    out: values.out,
    timeoutMs: values.timeout === undefined ? undefined : Number(values.timeout) * 1000,
  });
  if (values.json) printJson({ name: r.name, dir: r.dir, files: r.files });
  else console.log(r.dir);
  return EXIT.OK;
}

const ADD_OPTIONS = {
  zoo: { type: 'string' },
  name: { type: 'string' },
  'knn-json': { type: 'string' },
  'linear-json': { type: 'string' },
  'knn-k': { type: 'string', number: { integer: true, min: 1 } },
  'budget-minutes': { type: 'string', number: { positive: true } },
  machine: { type: 'string' },
  'with-checkpoint': { type: 'boolean' },
  fp16: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

async function addCommand(values: Values<typeof ADD_OPTIONS>, [workDir]: string[]): Promise<number> {
  if (values.zoo === undefined) throw new UsageError('zoo add needs --zoo DIR (the zoo directory to add to)');
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(values.zoo)) throw new UsageError('zoo add writes to a directory; --zoo must not be a URL');
  if (values.name === undefined) throw new UsageError('zoo add needs --name NAME');
  const e = await zooAdd(workDir, {
    zoo: values.zoo,
    name: values.name,
    knnJson: values['knn-json'],
    linearJson: values['linear-json'],
    knnK: values['knn-k'] === undefined ? undefined : Number(values['knn-k']),
    budgetMinutes: values['budget-minutes'] === undefined ? undefined : Number(values['budget-minutes']),
    machine: values.machine,
    withCheckpoint: values['with-checkpoint'],
    fp16: values.fp16,
  });
  if (values.json) printJson(e);
  else console.log(formatZooTable([e]));
  return EXIT.OK;
}

/** `selfsup zoo <list|get|add> …`. */
export const ZOO = defineCommand({
  name: 'zoo',
  summary: 'a model zoo of pre-trained backbones: list it, fetch an entry (sha256-checked), add a run',
  usage: ZOO_USAGE,
  subcommands: [
    defineCommand({
      name: 'list',
      summary: "a zoo's entries: algorithm, backbone, budget, kNN / linear top-1, size",
      usage: ZOO_USAGE,
      options: LIST_OPTIONS,
      run: listCommand,
    }) as CommandSpec,
    defineCommand({
      name: 'get',
      summary: "fetch an entry's files, checking each sha256",
      usage: ZOO_USAGE,
      args: '<name>',
      options: GET_OPTIONS,
      run: getCommand,
    }) as CommandSpec,
    defineCommand({
      name: 'add',
      summary: 'add a selfsup train work dir to a zoo directory',
      usage: ZOO_USAGE,
      args: '<workdir>',
      options: ADD_OPTIONS,
      run: addCommand,
    }) as CommandSpec,
  ],
});

/** Runs `selfsup zoo <argv>`; returns the exit code. */
export const zooCommand = (argv: string[]): Promise<number> => runCommand(ZOO, argv);
