import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveConfigArg } from '../../src/cli/config-arg.js';
import { CONFIG_DIR } from '../../src/cli/list.js';

const NAME = 'simclr_resnet18-w025_1xb256-coslr-100e_cifar10';
const FILE = join(CONFIG_DIR, 'simclr', `${NAME}.ts`);

test('a config argument: a file, a bundled path as `list configs` prints it, or a bundled name, from any directory', () => {
  const cwd = process.cwd();
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-cfgarg-'));
  try {
    process.chdir(dir);
    assert.equal(resolveConfigArg(NAME), FILE);
    assert.equal(resolveConfigArg(`${NAME}.ts`), FILE);
    assert.equal(resolveConfigArg(`simclr/${NAME}.ts`), FILE);
    // A file of that name here wins over the bundled one (a path is a path).
    writeFileSync(join(dir, `${NAME}.ts`), 'export default {};\n');
    assert.equal(resolveConfigArg(`${NAME}.ts`), join(dir, `${NAME}.ts`));
    assert.throws(
      () => resolveConfigArg('simclr_resnet18-w025_1xb256-coslr-100e_cifar1'),
      /did you mean 'simclr_resnet18-w025_1xb256-coslr-100e_cifar10'/,
    );
    assert.throws(
      () => resolveConfigArg('nope/missing.ts'),
      /config 'nope\/missing\.ts' not found: no such file, nor a bundled config/,
    );
  } finally {
    process.chdir(cwd);
  }
});
