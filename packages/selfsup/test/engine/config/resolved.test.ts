/**
 * The byte-for-byte guard on the bundled recipes: every config file under configs/ (bases
 * included) resolves to exactly the JSON kept in test/fixtures/resolved-configs/ (`X.ts` →
 * `X.json`, `JSON.stringify(loadConfig(file), null, 2) + '\n'`). Rewriting a config's form (helpers,
 * imports, `defineConfig`) must leave its fixture untouched; changing a recipe must update its
 * fixture in the same commit. A config without a fixture, or a fixture without a config, fails.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CONFIG_DIR } from '../../../src/cli/list.js';
import { loadConfig, preloadConfigs } from '../../../src/engine/config/load.js';

/** test/fixtures in the source tree (the compiled test runs from dist/test/engine/config). */
const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/resolved-configs', import.meta.url));

function walk(dir: string, ext: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir).sort()) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) walk(p, ext, out);
    else if (f.endsWith(ext) && !f.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const rel = (root: string, files: string[], ext: string) => files.map((f) => relative(root, f).slice(0, -ext.length)).sort();
const configs = rel(CONFIG_DIR, walk(CONFIG_DIR, '.ts'), '.ts');
preloadConfigs(configs.map((name) => join(CONFIG_DIR, `${name}.ts`)));
const fixtures = existsSync(FIXTURES) ? rel(FIXTURES, walk(FIXTURES, '.json'), '.json') : [];

test('every config file has a resolved fixture and every fixture a config file', () => {
  assert.ok(configs.length > 40, `found ${configs.length} configs under ${CONFIG_DIR}`);
  assert.deepEqual(
    configs.filter((c) => !fixtures.includes(c)),
    [],
    'configs without a fixture in test/fixtures/resolved-configs',
  );
  assert.deepEqual(
    fixtures.filter((f) => !configs.includes(f)),
    [],
    'fixtures without a config file',
  );
});

for (const name of configs) {
  test(`resolved ${name}.ts is byte-for-byte its fixture`, (t) => {
    const fixture = join(FIXTURES, `${name}.json`);
    if (!existsSync(fixture)) return t.skip('no fixture (reported above)');
    const got = `${JSON.stringify(loadConfig(join(CONFIG_DIR, `${name}.ts`)), null, 2)}\n`;
    assert.equal(got, readFileSync(fixture, 'utf8'));
  });
}
