/**
 * Configs are data, not programs (issue 17, item 2): a `.ts` config that reaches for a capability
 * (child processes, files, the network, workers, code from strings, `process`) is refused with the
 * config's name and the capability, and nothing happens on the machine. Each config runs in the real
 * sandbox process; markers and a local HTTP server check that no side effect took place.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadConfig, preloadConfigs } from '../../../src/engine/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'selfsup-sandbox-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Loading `text` as config `name` fails naming the file and the refused capability. */
function refused(name: string, text: string, capability: RegExp | string): void {
  const file = write(name, text);
  const cap = typeof capability === 'string' ? capability.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&') : capability.source;
  assert.throws(
    () => loadConfig(file),
    new RegExp(`config \\S*${name.replace('.', '\\.')} tried to use ${cap}: configs are data, not programs`),
  );
}

test('child processes: neither process.getBuiltinModule nor an import of node:child_process runs a command', () => {
  const mark1 = join(dir, 'ran-1');
  refused(
    'exec-builtin.ts',
    `export default { a: String(process.getBuiltinModule('child_process').execSync('touch ${mark1}')) };\n`,
    'child_process',
  );
  const mark2 = join(dir, 'ran-2');
  refused(
    'exec-import.ts',
    `import { execSync } from 'node:child_process';\nexport default { a: String(execSync('touch ${mark2}')) };\n`,
    'child_process',
  );
  const mark3 = join(dir, 'ran-3');
  refused(
    'exec-require.cjs',
    `module.exports = { a: String(require('child_process').spawnSync('touch', ['${mark3}']).status) };\n`,
    'child_process',
  );
  assert.equal(existsSync(mark1) || existsSync(mark2) || existsSync(mark3), false);
});

test('files: no writes, no reads outside the configs (fs through getBuiltinModule or import)', () => {
  const out = join(dir, 'written.txt');
  refused('fs-write.ts', `process.getBuiltinModule('node:fs').writeFileSync('${out}', 'x');\nexport default {};\n`, 'fs');
  refused('fs-write-import.ts', `import { writeFileSync } from 'fs';\nwriteFileSync('${out}', 'x');\nexport default {};\n`, 'fs');
  assert.equal(existsSync(out), false);
  refused('fs-read.ts', "export default { host: process.getBuiltinModule('fs').readFileSync('/etc/hostname', 'utf8') };\n", 'fs');
  refused('fs-promises.ts', "import { readFile } from 'node:fs/promises';\nexport default { f: String(readFile) };\n", 'fs');
});

test('network: fetch is refused and no request leaves', async () => {
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    refused('fetch.ts', `fetch('http://127.0.0.1:${port}/leak');\nexport default {};\n`, 'fetch (the network)');
    refused('net.ts', "import net from 'node:net';\nexport default { n: String(net) };\n", 'net');
    // A request sent before the loader returned would arrive within this wait.
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    server.close();
  }
  assert.equal(requests, 0);
});

test('workers, eval and new Function are refused', () => {
  const mark = join(dir, 'worker-ran');
  refused(
    'worker.ts',
    `const { Worker } = process.getBuiltinModule('worker_threads');\nnew Worker("require('fs').writeFileSync('${mark}', 'x')", { eval: true });\nexport default {};\n`,
    'worker_threads',
  );
  refused(
    'worker-import.ts',
    "import { Worker } from 'node:worker_threads';\nexport default { w: String(Worker) };\n",
    'worker_threads',
  );
  assert.equal(existsSync(mark), false);
  refused('eval.ts', "export default { a: eval('1 + 1') };\n", 'eval / new Function (code built from strings)');
  refused('function.ts', "export default { a: new Function('return 2')() };\n", 'eval / new Function (code built from strings)');
  // The constructor reached through any function is the same Function.
  refused(
    'ctor.ts',
    "const F = (() => 0).constructor as FunctionConstructor;\nexport default { a: F('return process')() };\n",
    'eval / new Function (code built from strings)',
  );
});

test('process is out of reach (binding, dlopen, env, mainModule), even when the config catches the refusal', () => {
  refused('binding.ts', "export default { b: String(process.binding('spawn_sync')) };\n", 'process.binding');
  refused('dlopen.ts', "process.dlopen({ exports: {} }, '/tmp/x.node');\nexport default {};\n", 'process.dlopen');
  refused('env.ts', 'export default { home: process.env.HOME };\n', 'process.env');
  refused('main.ts', "export default { m: String(process.mainModule?.require('child_process')) };\n", 'process.mainModule');
  refused(
    'caught.ts',
    "let cp: unknown = null;\ntry { cp = process.getBuiltinModule('child_process'); } catch { /* ignored */ }\nexport default { ok: cp === null };\n",
    'child_process',
  );
});

test('a normal config still loads: bases, imports, helpers, a base path computed at run time, console output', () => {
  mkdirSync(join(dir, '_base_'), { recursive: true });
  write('_base_/model.ts', "export default { model: { type: 'MAE', neck: { depth: 8 } }, tags: ['a'] };\n");
  write('_base_/sched.json', JSON.stringify({ optimWrapper: { optimizer: { type: 'SGD', lr: 0.1 } } }));
  write('_base_/extra.ts', 'export default { extra: { n: 3 } };\n');
  const file = write(
    'normal.ts',
    [
      "import { replace } from 'selfsup/config';",
      "import model from './_base_/model.js';",
      "const which = ['ex', 'tra'].join('');",
      "console.log('loading normal.ts');",
      'export default {',
      "  _base_: ['./_base_/model.ts', './_base_/sched.json', './_base_/' + which + '.ts'],",
      '  model: { neck: { depth: 4 } },',
      "  optimWrapper: { optimizer: replace({ type: 'AdamW', lr: 1e-3 }) },",
      '  copied: model.model.type,',
      '};',
      '',
    ].join('\n'),
  );
  const want = {
    model: { type: 'MAE', neck: { depth: 4 } },
    tags: ['a'],
    optimWrapper: { optimizer: { type: 'AdamW', lr: 1e-3 } },
    extra: { n: 3 },
    copied: 'MAE',
  };
  assert.deepEqual(loadConfig(file), want);
  // Again (cached), and after an edit of a base (the cache notices).
  assert.deepEqual(loadConfig(file), want);
  write('_base_/extra.ts', 'export default { extra: { n: 5 } };\n');
  assert.deepEqual(loadConfig(file).extra, { n: 5 });
});

test('non-data values are named by their path', () => {
  const inf = write('inf.ts', 'export default { a: { b: Infinity } };\n');
  assert.throws(() => loadConfig(inf), /a\.b: Infinity is not a config value/);
  const fn = write('fn.ts', 'export default { hook: () => 1 };\n');
  assert.throws(() => loadConfig(fn), /hook: hook is a function; a config holds plain data/);
  const thrown = write('throws.ts', "throw new Error('bad idea');\n");
  assert.throws(() => loadConfig(thrown), /throws\.ts: evaluating the config failed: bad idea/);
});

test('preloadConfigs: one process answers each config as loading it alone would; a refusal stays with its config', () => {
  const sub = join(dir, 'batch');
  mkdirSync(sub);
  const base = join(sub, 'base.ts');
  writeFileSync(base, 'export default { a: 1, b: { c: [1, 2] } };\n');
  const ok1 = join(sub, 'ok1.ts');
  writeFileSync(ok1, "export default { _base_: ['./base.ts'], b: { c: [3] }, d: 2 * 21 };\n");
  const bad = join(sub, 'bad.ts');
  const mark = join(sub, 'ran');
  writeFileSync(bad, `export default { a: String(process.getBuiltinModule('child_process').execSync('touch ${mark}')) };\n`);
  // A config that catches the refusal and carries on is still refused; the next one is not.
  const catcher = join(sub, 'catcher.ts');
  writeFileSync(catcher, "let x = 0;\ntry { fetch('http://127.0.0.1:1'); } catch { x = 1; }\nexport default { x };\n");
  const ok2 = join(sub, 'ok2.ts');
  writeFileSync(ok2, "import b from './base.ts';\nexport default { e: b.a + 1 };\n");
  const { loaded, failed } = preloadConfigs([ok1, bad, catcher, ok2]);
  assert.deepEqual(loaded, [ok1, ok2]);
  assert.deepEqual(Object.keys(failed), [bad, catcher]);
  assert.match(failed[bad], /bad\.ts tried to use child_process/);
  assert.match(failed[catcher], /catcher\.ts tried to use fetch/);
  assert.deepEqual(loadConfig(ok1), { a: 1, b: { c: [3] }, d: 42 });
  assert.deepEqual(loadConfig(ok2), { e: 2 });
  assert.throws(() => loadConfig(bad), /bad\.ts tried to use child_process: configs are data, not programs/);
  assert.throws(() => loadConfig(catcher), /catcher\.ts tried to use fetch \(the network\)/);
  assert.equal(existsSync(mark), false);
  // Preloaded results follow edits like loaded ones.
  writeFileSync(ok2, "import b from './base.ts';\nexport default { e: b.a + 2 };\n");
  assert.deepEqual(loadConfig(ok2), { e: 3 });
});
