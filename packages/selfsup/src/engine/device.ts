/**
 * Device placement for training and evaluation (MMEngine puts the model on the process's GPU and
 * its data preprocessor moves each batch there). `auto` picks `cuda:LOCAL_RANK` when libtorch sees
 * a GPU and the CPU otherwise; batches are copied to the device once per step, as uint8 when the
 * loader made them so (a quarter of float32's bytes), from page-locked memory when `pinMemory` is on.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { tensorToDevice } from '../data/loader/to-device.js';
import type { AlgorithmInput } from '../models/algorithms/base.js';

/** What a config or `--device` may say. */
export type DeviceSpec = 'auto' | 'cpu' | 'cuda' | `cuda:${number}`;

const NO_CUDA =
  'this addon was built against a libtorch without CUDA, or no GPU is visible. Build against a CUDA ' +
  "libtorch (LIBTORCH=$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))') bash scripts/setup.sh) " +
  'or train on the CPU (--device cpu)';

/**
 * The concrete device (`cpu`, `cuda:N`) for `spec`; `localRank` picks this process's GPU in a
 * multi-process run (`cuda` and `auto` → `cuda:(localRank mod GPUs)`). Throws naming `where` when
 * a GPU is asked for and there is none, or the index is out of range.
 */
export function resolveDevice(spec: string | undefined, localRank = 0, where = 'device'): string {
  const s = spec ?? 'auto';
  if (s === 'cpu') return 'cpu';
  const count = torch.cuda.isAvailable() ? torch.cuda.deviceCount() : 0;
  if (s === 'auto') return count > 0 ? `cuda:${localRank % count}` : 'cpu';
  const m = /^cuda(?::(\d+))?$/.exec(s);
  if (!m) throw new TypeError(`${where}: expected 'auto', 'cpu', 'cuda' or 'cuda:N', got '${s}'`);
  if (count === 0) throw new Error(`${where}: '${s}' asked for a GPU, but ${NO_CUDA}`);
  if (m[1] === undefined) return `cuda:${localRank % count}`;
  const index = Number(m[1]);
  if (index >= count)
    throw new RangeError(
      `${where}: '${s}' but only ${count} GPU${count > 1 ? 's are' : ' is'} visible (cuda:0…cuda:${count - 1})`,
    );
  return `cuda:${index}`;
}

/** `cpu` or `cuda` — the autocast device type of a concrete device. */
export function deviceType(device: string): 'cpu' | 'cuda' {
  return device.startsWith('cuda') ? 'cuda' : 'cpu';
}

/**
 * The batch's tensors on `device` (the same objects when they are already there; call it inside
 * `torch.tidy` so the copies are freed with the step). With `pin`, host tensors are first copied
 * into page-locked memory so that the host→GPU copy does not block the host.
 */
export function batchToDevice(batch: AlgorithmInput, device: string, opts: { pin?: boolean } = {}): AlgorithmInput {
  if (device === 'cpu') return batch;
  const move = (t: Tensor): Tensor => tensorToDevice(t, device, opts);
  return {
    views: batch.views.map(move),
    ...(batch.labels ? { labels: move(batch.labels) } : batch.labels === null ? { labels: null } : {}),
    ...(batch.idx ? { idx: move(batch.idx) } : {}),
    ...(batch.masks ? { masks: batch.masks.map(move) } : {}),
  };
}
