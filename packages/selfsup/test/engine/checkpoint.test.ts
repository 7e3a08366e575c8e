import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as torch from '@selfsup/torch';
import { latestCheckpoint, loadCheckpoint, pruneCheckpoints, saveCheckpoint } from '../../src/engine/checkpoint.js';
import { py } from '../helpers.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'selfsup-ckpt-'));
const checkpointModule = new URL('../../src/engine/checkpoint.js', import.meta.url).href;

test('checkpoints: latest pointer, keep-K pruning, Python reads the MMEngine layout', () => {
  const dir = tmp();
  for (let e = 1; e <= 4; e++) {
    torch.tidy(() =>
      saveCheckpoint(dir, `epoch_${e}.pth`, {
        meta: { epoch: e, iter: e * 10 },
        state_dict: { 'fc.weight': torch.full([2, 2], e) },
      }),
    );
    pruneCheckpoints(dir, 2);
  }
  assert.deepEqual(readdirSync(dir).sort(), ['epoch_3.pth', 'epoch_4.pth', 'latest']);
  assert.equal(readFileSync(join(dir, 'latest'), 'utf8'), 'epoch_4.pth\n');
  const { file, state } = loadCheckpoint(dir);
  assert.equal(file, join(dir, 'epoch_4.pth'));
  assert.equal((state.meta as Record<string, number>).iter, 40);
  const out = py(
    `ck = torch.load(D['file'])
OUT = {'epoch': ck['meta']['epoch'], 'w': ck['state_dict']['fc.weight'].tolist()}`,
    { file },
  );
  assert.deepEqual(out, {
    epoch: 4,
    w: [
      [4, 4],
      [4, 4],
    ],
  });
});

test('kill -9 during a save loop never damages the previous checkpoint', async () => {
  const dir = tmp();
  const script = join(dir, 'saver.mjs');
  // Each checkpoint holds 8 MiB so that kills land mid-write.
  writeFileSync(
    script,
    `import * as torch from ${JSON.stringify(import.meta.resolve('@selfsup/torch'))};
import { saveCheckpoint } from ${JSON.stringify(checkpointModule)};
for (let i = 1; ; i++) {
  torch.tidy(() => saveCheckpoint(${JSON.stringify(dir)}, 'iter_' + (i % 3) + '.pth', { meta: { iter: i }, state_dict: { w: torch.full([2048, 1024], i) } }));
  process.stdout.write(i + '\\n');
}
`,
  );
  for (let round = 0; round < 4; round++) {
    const child = spawn(process.execPath, [script], {
      cwd: fileURLToPath(new URL('../../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let saved = 0;
    await new Promise<void>((done) => {
      child.stdout.on('data', (d: Buffer) => {
        saved += d.toString().trim().split('\n').length;
        // Kill at a varying point after a few saves, most likely mid-write.
        if (saved >= 3 + round) {
          child.kill('SIGKILL');
        }
      });
      child.on('exit', () => done());
    });
    const latest = latestCheckpoint(dir);
    assert.ok(latest && existsSync(latest), 'latest points at an existing file');
    const { state } = loadCheckpoint(dir);
    const i = (state.meta as Record<string, number>).iter;
    const w = (state.state_dict as Record<string, torch.Tensor>).w;
    assert.ok(
      torch.tidy(() => w.eq(i).all().item()),
      `checkpoint ${latest} is whole (iter ${i})`,
    );
  }
  // No temp files are mistaken for checkpoints.
  assert.ok(readdirSync(dir).filter((f) => f.endsWith('.pth')).length <= 3);
});

test('a full disk while saving names the checkpoint and says the previous one is intact (ENOSPC)', (t) => {
  if (!existsSync('/dev/full')) {
    t.skip('no /dev/full to produce a real ENOSPC');
    return;
  }
  const dir = tmp();
  torch.tidy(() => saveCheckpoint(dir, 'iter_1.pth', { meta: { iter: 1 }, state_dict: { w: torch.full([4], 1) } }));
  // The disk fills up mid-write: the atomic writer's body gets a real ENOSPC from the kernel
  // (writes to /dev/full always fail with it) after part of the checkpoint went to the temp file.
  const fullDisk = (_state: unknown, file: string): void =>
    torch.writeFileAtomic(file, (fd) => {
      writeSync(fd, Buffer.alloc(1024));
      const full = openSync('/dev/full', 'w');
      try {
        writeSync(full, Buffer.alloc(1024));
      } finally {
        closeSync(full);
      }
    });
  assert.throws(
    () => torch.tidy(() => saveCheckpoint(dir, 'iter_2.pth', { meta: { iter: 2 } }, fullDisk)),
    (e: Error & { code?: string }) => {
      assert.equal(
        e.message,
        `cannot save checkpoint ${join(dir, 'iter_2.pth')}: the disk is full (ENOSPC); the previous checkpoint ` +
          `${join(dir, 'iter_1.pth')} is intact and 'latest' still points at it; free space in ${dir}, then resume with --resume`,
      );
      assert.equal(e.code, 'ENOSPC');
      return true;
    },
  );
  // What the message claims: no new file, no temp file left, latest → the previous, which loads whole.
  assert.deepEqual(readdirSync(dir).sort(), ['iter_1.pth', 'latest']);
  assert.equal(latestCheckpoint(dir), join(dir, 'iter_1.pth'));
  const { state } = loadCheckpoint(dir);
  assert.deepEqual(((state.state_dict as Record<string, torch.Tensor>).w as torch.Tensor).toList(), [1, 1, 1, 1]);
  // With no earlier checkpoint the message says so.
  const empty = tmp();
  assert.throws(
    () => saveCheckpoint(empty, 'iter_1.pth', {}, fullDisk),
    /the disk is full \(ENOSPC\); there is no earlier checkpoint;/,
  );
});

test('meta with Python objects: MMEngine/NumPy classes load quietly, an unknown class is warned about by name and place', (t) => {
  const file = join(tmp(), 'mmengine.pth');
  py(
    `
import sys, types, numpy as np
# Stand-ins pickled under the names MMEngine uses (pickle records module + qualified name only).
def fake(module, name):
    parts = module.split('.')
    for i in range(1, len(parts) + 1):
        sys.modules.setdefault('.'.join(parts[:i]), types.ModuleType('.'.join(parts[:i])))
    m = sys.modules[module]
    cls = type(name, (dict,), {'__module__': module, '__qualname__': name})
    setattr(m, name, cls)
    return cls
ConfigDict = fake('mmengine.config.config', 'ConfigDict')
HistoryBuffer = fake('mmengine.logging.history_buffer', 'HistoryBuffer')
Evil = fake('evil.payload', 'Thing')
torch.save({
  'meta': {'epoch': 3, 'iter': 30, 'seed': np.int64(7), 'lr': np.float64(0.5), 'hist': np.arange(3),
           'cfg': ConfigDict(a=1), 'extra': [1, Evil(x=2)]},
  'message_hub': {'log_scalars': {'loss': HistoryBuffer()}},
  'state_dict': {'w': torch.ones(2)},
}, D['file'])
OUT = 0`,
    { file },
  );
  const warn = t.mock.method(console, 'warn', () => {});
  const { state } = loadCheckpoint(file);
  const messages = warn.mock.calls.map((c) => String(c.arguments[0]));
  assert.equal(messages.length, 1, messages.join('\n'));
  assert.match(messages[0], /meta\.extra\[1\] holds an object of unknown class 'evil\.payload\.Thing'/);
  assert.match(messages[0], /mmengine\.pth/);
  assert.equal((state.meta as Record<string, unknown>).iter, 30);
  assert.ok((state.state_dict as Record<string, torch.Tensor>).w instanceof torch.Tensor);
});
