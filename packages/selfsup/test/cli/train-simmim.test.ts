/**
 * The bundled CPU-sized SimMIM recipe trains end to end through the CLI on a tiny fake CIFAR-10
 * (binary batches written here): loader workers carry the SimMIMMaskGenerator's masks next to the
 * views, the model trains, the online kNN monitor runs on the unmasked backbone, and the checkpoint
 * holds MMSelfSup's keys.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type * as torch from '@selfsup/torch';
import { CONFIG_DIR } from '../../src/cli/list.js';
import { loadCheckpoint } from '../../src/engine/checkpoint.js';

const BIN = fileURLToPath(new URL('../../../bin/selfsup.js', import.meta.url));
const CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** CIFAR-10's binary layout: records of a label byte and 3 × 32 × 32 channel planes; smooth images with noise. */
function writeFakeCifar(root: string, perBatch: number): void {
  const dir = join(root, 'cifar-10-batches-bin');
  mkdirSync(dir, { recursive: true });
  let seed = 1;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const names = [1, 2, 3, 4, 5].map((b) => `data_batch_${b}.bin`).concat('test_batch.bin');
  for (const name of names) {
    const buf = new Uint8Array(perBatch * 3073);
    for (let r = 0; r < perBatch; r++) {
      buf[r * 3073] = r % 10;
      const gain = 0.3 + 0.7 * rand();
      for (let i = 0; i < 3072; i++) buf[r * 3073 + 1 + i] = Math.min(255, Math.floor((i % 32) * 8 * gain + 40 * rand()));
    }
    writeFileSync(join(dir, name), buf);
  }
  writeFileSync(join(dir, 'batches.meta.txt'), `${CLASSES.join('\n')}\n`);
}

test('selfsup train simmim/…_cifar10.ts: an epoch on a fake CIFAR-10 through loader workers, masks included', () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-simmim-cli-'));
  try {
    const data = join(dir, 'cifar');
    writeFakeCifar(data, 4); // 20 training images: 2 iterations of 8 (the last batch dropped)
    const work = join(dir, 'w');
    const cfg = join(CONFIG_DIR, 'simmim/simmim_swin-tiny-half-w4_1xb256-coslr-100e_cifar10.ts');
    const options = [
      `trainDataloader.dataset.root=${data}`,
      'trainDataloader.batchSize=8',
      'trainDataloader.numWorkers=1',
      'trainCfg.maxEpochs=1',
      `knnMonitor.train.root=${data}`,
      `knnMonitor.val.root=${data}`,
      'knnMonitor.train.samplesPerClass=1',
      'knnMonitor.interval=1',
      'knnMonitor.k=3',
    ];
    const r = spawnSync(
      process.execPath,
      [BIN, 'train', cfg, '--work-dir', work, '--json', '--quiet', '--cfg-options', ...options],
      {
        encoding: 'utf8',
        // One thread: batches of 8 tiny images gain nothing from two, which contend on a busy machine.
        env: { ...process.env, OMP_NUM_THREADS: '1' },
        timeout: 300_000,
      },
    );
    assert.equal(r.status, 0, r.stderr);
    const res = JSON.parse(r.stdout.trim().split('\n').pop() as string);
    assert.equal(res.epochs, 1);
    assert.equal(res.iters, 2);
    assert.ok(Number.isFinite(res.loss) && res.loss > 0, `loss ${res.loss}`);
    const { state } = loadCheckpoint(res.checkpoint);
    const sd = state.state_dict as Record<string, torch.Tensor>;
    assert.deepEqual(sd['neck.decoder.0.weight'].shape, [8 * 8 * 3, 192, 1, 1]);
    assert.deepEqual(sd['backbone.mask_token'].shape, [1, 1, 48]);
    assert.ok('backbone.stages.2.blocks.5.attn.w_msa.relative_position_bias_table' in sd);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
