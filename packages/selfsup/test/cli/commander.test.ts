import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { EXIT, UsageError } from '../../src/cli/args.js';
import { createProgram, defineCommand, runCommand, runProgram, addCommand } from '../../src/cli/command.js';
import { main } from '../../src/cli/index.js';

/** Runs `fn` with console.log/error captured: stdout and stderr as the user would see them. */
async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const [log, error] = [console.log, console.error];
  const out: string[] = [];
  const err: string[] = [];
  console.log = (...a: unknown[]) => out.push(a.join(' '));
  console.error = (...a: unknown[]) => err.push(a.join(' '));
  try {
    return { code: await fn(), out: out.join('\n'), err: err.join('\n') };
  } finally {
    [console.log, console.error] = [log, error];
  }
}

const run = (argv: string[]) => capture(() => main(argv));

test('selfsup on commander: --version, help <command>, did-you-mean, exit codes without process.exit', async () => {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const r = await run([flag]);
    assert.deepEqual([r.code, r.out], [0, pkg.version]);
  }
  let r = await run(['help', 'eval']);
  assert.equal(r.code, 0);
  assert.match(r.out, /^usage: selfsup eval <knn\|linear\|svm\|finetune\|semi>/);
  r = await run(['eval', 'knnn']);
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown command 'knnn'[\s\S]*Did you mean knn\?/);
  r = await run(['trian', 'x.ts']);
  assert.equal(r.code, 2);
  assert.match(r.err, /Did you mean train\?/);
  r = await run(['list', '--jsn']);
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown option '--jsn'[\s\S]*Did you mean --json\?/);
  r = await run([]);
  assert.equal(r.code, 2, 'no command: the help on stderr, a usage error');
  assert.match(r.err, /Commands:[\s\S]*train/);
  r = await run(['test', 'knn', '--help']);
  assert.equal(r.code, 0, '`test` is eval');
  assert.match(r.out, /usage: selfsup eval/);
});

test('numbers are checked while parsing, before any file is opened; UsageError and other errors map to 2 and 1', async () => {
  // The checkpoint and data do not exist: a number error must come first, in commander's words.
  let r = await run(['eval', 'knn', '--checkpoint', '/nonexistent/c.pth', '--train-data', '/nonexistent/d', '--epochs', '1.5']);
  assert.equal(r.code, 2);
  assert.match(r.err, /option '--epochs <value>' argument '1\.5' is invalid\. expected an integer ≥ 1/);
  assert.doesNotMatch(r.err, /nonexistent/);
  r = await run(['eval', 'linear', '--checkpoint', '/nonexistent/c.pth', '--train-data', '/nonexistent/d', '--k', '10,x']);
  assert.equal(r.code, 2);
  assert.match(r.err, /'--k <value>' argument '10,x' is invalid/);
  r = await run(['train', 'nope.ts', '--seed', '-1']);
  assert.equal(r.code, 2);
  assert.match(r.err, /'--seed <value>' argument '-1' is invalid\. expected an integer ≥ 0/);
  r = await run(['data', 'prepare', 'cifar10', '--timeout', '0']);
  assert.equal(r.code, 2);
  assert.match(r.err, /expected a number > 0/);
  // A missing --checkpoint, once the arguments are fine: named as such, exit 1.
  r = await run(['eval', 'knn', '--checkpoint', '/nonexistent/c.pth', '--train-data', '/nonexistent/d']);
  assert.deepEqual([r.code, r.err], [1, 'selfsup eval knn: checkpoint not found: /nonexistent/c.pth']);
});

test('a command registered with defineCommand: options table, variadic --cfg-options, repeatable flags, codes', async () => {
  const seen: unknown[] = [];
  const spec = defineCommand({
    name: 'convert',
    summary: 'a test command',
    usage: 'usage: selfsup convert <src> [--to FMT]\n',
    args: '<src>',
    options: {
      to: { type: 'string', default: 'pth' },
      import: { type: 'string', multiple: true },
      resume: { type: 'string', optionalValue: true },
      n: { type: 'string', number: { integer: true, min: 1 } },
      json: { type: 'boolean' },
    } as const,
    cfgOptions: true,
    run: (values, args, cfgOptions) => {
      seen.push({ values, args, cfgOptions });
      if (values.to === 'bad') throw new UsageError('--to: bad');
      if (values.to === 'fail') throw new Error('disk full');
      return EXIT.OK;
    },
  });
  let r = await capture(() =>
    runCommand(spec, ['a.pth', '--import', 'x.js', '--import', 'y.js', '--cfg-options', 'a=1', 'b.c=-2', '--resume', '--n', '3']),
  );
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(seen.pop(), {
    values: { to: 'pth', import: ['x.js', 'y.js'], resume: '', n: '3', json: undefined },
    args: ['a.pth'],
    cfgOptions: ['a=1', 'b.c=-2'],
  });
  r = await capture(() => runCommand(spec, ['a.pth', '--to', 'bad']));
  assert.deepEqual([r.code, r.err], [2, 'selfsup convert: --to: bad (see selfsup convert --help)']);
  r = await capture(() => runCommand(spec, ['a.pth', '--to', 'fail']));
  assert.deepEqual([r.code, r.err], [1, 'selfsup convert: disk full']);
  r = await capture(() => runCommand(spec, ['--help']));
  assert.deepEqual([r.code, r.out], [0, 'usage: selfsup convert <src> [--to FMT]']);
  r = await capture(() => runCommand(spec, ['a.pth', 'b.pth']));
  assert.equal(r.code, 2);
  // Under a program, as src/cli/index.ts registers them.
  const program = createProgram();
  addCommand(program, defineCommand({ name: 'export', summary: 's', usage: 'u', subcommands: [{ ...spec, name: 'onnx' }] }));
  r = await capture(() => runProgram(program, ['export', 'onnx', 'm.pth', '--to', 'onnx']));
  assert.equal(r.code, 0, r.err);
  assert.deepEqual((seen.pop() as { args: string[] }).args, ['m.pth']);
});

test('stream rule: results alone on stdout (parseable --json), status on stderr', async () => {
  const r = await run(['list', 'backbones', '--json']);
  assert.equal(r.code, 0, r.err);
  assert.ok(Array.isArray(JSON.parse(r.out).backbones));
});
