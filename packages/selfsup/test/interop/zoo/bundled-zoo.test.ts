/**
 * The zoo shipped in the repository (`zoo/` at its root, trained on the benchmark machine): every
 * file the manifest names is there with the sha256 and size it records (recomputed with
 * node:crypto), `zooGet` copies each entry out, and each backbone loads strictly into the model its
 * own config.json builds and gives finite features of the right width through the evaluation's encoder. Its log ends at the
 * iteration count the entry states.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { modelEncoder } from '../../../src/engine/model-source.js';
import { zooGet } from '../../../src/interop/zoo/get.js';
import { entryFiles, parseManifest, ZOO_MANIFEST } from '../../../src/interop/zoo/manifest.js';
import { ALGORITHMS } from '../../../src/models/registries.js';
import '../../../src/builtins.js';

const ZOO = fileURLToPath(new URL('../../../../../../zoo/', import.meta.url));
const manifest = parseManifest(readFileSync(join(ZOO, ZOO_MANIFEST), 'utf8'), ZOO);
const out = mkdtempSync(join(tmpdir(), 'selfsup-bundled-zoo-'));
after(() => rmSync(out, { recursive: true, force: true }));

test('the bundled zoo has entries, each with its budget and numbers', () => {
  assert.ok(manifest.entries.length >= 1);
  for (const e of manifest.entries) {
    assert.ok(e.budget.minutes !== undefined && e.budget.minutes > 0, `${e.name}: a budget in minutes`);
    assert.ok(e.knn !== null && e.linear !== null, `${e.name}: kNN and linear numbers`);
    assert.ok(e.files.log && e.files.card, `${e.name}: a log and a card`);
  }
});

for (const e of manifest.entries) {
  test(`bundled zoo entry ${e.name}: files match the manifest; the backbone loads into its config's model`, async () => {
    for (const [role, f] of entryFiles(e)) {
      const p = join(ZOO, ...f.path.split('/'));
      assert.equal(statSync(p).size, f.bytes, `${role} ${f.path}: size`);
      assert.equal(createHash('sha256').update(readFileSync(p)).digest('hex'), f.sha256, `${role} ${f.path}: sha256`);
    }
    const got = await zooGet({ kind: 'dir', dir: ZOO }, e.name, { out: join(out, e.name), log: () => {} });
    const file = (role: string) => got.files.find((f) => f.role === role)?.path as string;
    const cfg = JSON.parse(readFileSync(file('config'), 'utf8'));
    assert.equal(cfg.expName, e.config, 'the entry names the config it trained');
    torch.manualSeed(0);
    const model = ALGORITHMS.build(cfg.model, 'model');
    model.backbone.loadStateDict(torch.load(file('backbone')) as Record<string, Tensor>, { strict: true });
    model.eval();
    torch.tidy(() => {
      // Through the encoder the kNN / linear numbers were measured with (its pooling: maps or tokens).
      const f = torch.noGrad(() => modelEncoder(model)(torch.rand([2, 3, 32, 32]).mul(255)));
      assert.deepEqual(f.shape, [2, model.backbone.numFeatures]);
      assert.ok(f.isfinite().all().item(), 'finite features');
      assert.ok(f.std().item() > 0, 'features vary');
    });
    const iters = readFileSync(file('log'), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { mode?: string; iter?: number })
      .filter((r) => r.mode === 'train' && typeof r.iter === 'number')
      .map((r) => r.iter as number);
    assert.ok(iters.length > 0, 'training records in the log');
    const last = Math.max(...iters);
    assert.ok(last <= e.budget.iters && last > 0.9 * e.budget.iters, `log ends at ${last} of ${e.budget.iters} iterations`);
    model.dispose();
  });
}
