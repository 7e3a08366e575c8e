/**
 * Host → device copies of batch tensors, as PyTorch's DataLoader (`pin_memory`) and MMEngine's data
 * preprocessor make them: page-locked first when asked, so the copy to a GPU does not block the host.
 */
import type { Tensor } from '@selfsup/torch';

/**
 * `t` on `device` (`t` itself when it is already there; otherwise a new tensor the caller frees).
 * With `pin`, a CPU tensor bound for a GPU goes through page-locked memory and a non-blocking copy.
 */
export function tensorToDevice(t: Tensor, device: string, opts: { pin?: boolean } = {}): Tensor {
  if (t.device === device) return t;
  const gpu = device.startsWith('cuda');
  if (gpu && opts.pin && t.device === 'cpu') {
    using pinned = t.pinMemory();
    return pinned.to({ device, nonBlocking: true });
  }
  return t.to({ device, nonBlocking: gpu });
}
