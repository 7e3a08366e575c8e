/**
 * Configs are checked by `tsc`: every bundled config (configs/tsconfig.json maps 'selfsup/config'
 * to the helpers' source) type-checks, and a config with a misspelt key, a misspelt `type`, a
 * misspelt helper option or a value of the wrong type does not. One `tsc` run checks the bundled
 * configs and the test's configs together (a temp dir whose tsconfig extends configs/tsconfig.json).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CONFIG_DIR } from '../../../src/cli/list.js';

const ROOT = fileURLToPath(new URL('../../../../../../', import.meta.url));

/** Each bad config and what tsc must say about it. */
const BAD: Record<string, [string, RegExp]> = {
  'neck-key.ts': [
    "model: { type: 'SimCLR', neck: { type: 'NonLinearNeck', inChannels: 128, hid_channels: 512 } }",
    /'hid_channels' does not exist/,
  ],
  'backbone-key.ts': ["model: { type: 'SimCLR', backbone: { type: 'ResNet', depht: 18 } }", /'depht' does not exist/],
  'backbone-value.ts': [
    "model: { type: 'SimCLR', backbone: { type: 'ResNet', depth: 20 } }",
    /'{ type: "ResNet"; depth: 20; }' is not assignable/,
  ],
  'model-type.ts': ["model: { type: 'SimCRL' }", /'"SimCRL"' is not assignable/],
  'top-level-key.ts': ['optimWraper: { optimizer: sgd(0.1, 0) }', /'optimWraper' does not exist/],
  'pipeline-step-key.ts': [
    "trainDataloader: { dataset: { pipeline: [flip(), { type: 'RandomGrayscale', probability: 0.2 }] } }",
    /'probability' does not exist/,
  ],
  'helper-option.ts': ['trainDataloader: cifar10Loader(simclrViews({ sise: 32 }))', /'sise' does not exist/],
  'value-type.ts': ["trainCfg: { maxEpochs: '100' }", /Type 'string' is not assignable to type 'number'/],
  'optimizer-key.ts': [
    "optimWrapper: { optimizer: { type: 'LARS', lr: 0.3, weight_decay: 1e-6 } }",
    /'weight_decay' does not exist/,
  ],
};

const GOOD = `import { byolViews, cifar10Loader, defineConfig, larsExclude, replace, sgd } from 'selfsup/config';
export default defineConfig({
  _base_: ['./base.ts'],
  model: { neck: { outChannels: 64 }, head: { type: 'ContrastiveHead', temperature: 0.5 } },
  trainDataloader: { ...cifar10Loader(byolViews({ size: 32, blur: false })), batchSize: 128 },
  optimWrapper: { optimizer: replace(sgd(0.1, 0)), paramwiseCfg: larsExclude(['bn']) },
  paramScheduler: [{ type: 'CosineAnnealingLR', byEpoch: true, begin: 0, end: 10, etaMin: 0 }],
  customHooks: [{ type: 'SimSiamHook', fixPredLr: true, lr: 0.05 }],
});
`;

test('tsc: the bundled configs type-check; misspelt keys, types and options do not', () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-cfg-tsc-'));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: join(CONFIG_DIR, 'tsconfig.json'),
      // The temp dir has no node_modules to find @types/node in.
      compilerOptions: { typeRoots: [join(ROOT, 'node_modules/@types')] },
      include: [join(CONFIG_DIR, '**/*.ts'), '*.ts'],
    }),
  );
  const imports = "import { cifar10Loader, defineConfig, flip, sgd, simclrViews } from 'selfsup/config';\n";
  for (const [file, [body]] of Object.entries(BAD))
    writeFileSync(join(dir, file), `${imports}export default defineConfig({ ${body} });\n`);
  writeFileSync(join(dir, 'good.ts'), GOOD);
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], { encoding: 'utf8' });
  const out = r.stdout + r.stderr;
  assert.notEqual(r.status, 0, 'tsc must fail on the bad configs');
  // Every error is in one of the bad configs (none in the bundled ones nor in good.ts) …
  const errorFiles = [...out.matchAll(/^(\S+?)\(\d+,\d+\): error/gm)].map((m) => m[1]);
  assert.ok(errorFiles.length > 0, out);
  for (const f of errorFiles)
    assert.ok(
      Object.keys(BAD).some((b) => f.endsWith(b)),
      `unexpected error in ${f}:\n${out}`,
    );
  // … and every bad config has its error.
  for (const [file, [, message]] of Object.entries(BAD)) {
    const lines = out.split('\n').filter((l) => l.includes(`${file}(`));
    assert.ok(
      lines.some((l) => message.test(l)),
      `${file}: expected ${message}, got:\n${lines.join('\n') || '(no error)'}`,
    );
  }
});
