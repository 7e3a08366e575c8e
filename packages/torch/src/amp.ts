/**
 * Automatic mixed precision regions (`torch.autocast`, Micikevicius et al. 2018, "Mixed Precision
 * Training", arXiv:1710.03740). Inside `autocast('cuda', fn)` libtorch's own autocast dispatch casts
 * the inputs of matmul-like ops (linear, conv, bmm, baddbmm, …) to the low-precision dtype and keeps
 * precision-sensitive ones (softmax, log_softmax, norms, losses, sums) in float32 — the same op lists
 * as PyTorch, because they are PyTorch's. Backward runs the casts' gradients in the dtypes the
 * forward chose; pair float16 with `optim.GradScaler`, bfloat16 needs none.
 */
import { type DType, dtypeCode, dtypeFromCode } from './dtype.js';
import { native } from './native.js';

export type AutocastDevice = 'cpu' | 'cuda';

export interface AutocastOptions {
  /** Default: float16 on CUDA, bfloat16 on CPU (PyTorch's defaults). */
  dtype?: DType;
  /** false runs `fn` with autocast off for this device (a full-precision island inside a region). */
  enabled?: boolean;
  /** Cache the low-precision copies of leaf weights for the region (default true, as PyTorch). */
  cacheEnabled?: boolean;
}

interface AmpNative {
  autocastState(device: AutocastDevice): [boolean, number, boolean];
  autocastEnter(device: AutocastDevice, enabled: boolean, dtype: number, cache: boolean): [boolean, number, boolean];
  autocastExit(device: AutocastDevice, enabled: boolean, dtype: number, cache: boolean): void;
}

const amp = native as unknown as AmpNative;

const ALLOWED: Record<AutocastDevice, readonly DType[]> = {
  cuda: ['float16', 'bfloat16'],
  // libtorch 1.13's CPU autocast has bfloat16 kernels only.
  cpu: ['bfloat16'],
};

/**
 * Runs `fn` (synchronous) in an autocast region for `deviceType` and restores the previous state
 * afterwards, also when `fn` throws. Regions nest; the weight cache is cleared when the outermost ends.
 */
export function autocast<T>(deviceType: AutocastDevice, fn: () => T): T;
export function autocast<T>(deviceType: AutocastDevice, opts: AutocastOptions, fn: () => T): T;
export function autocast<T>(deviceType: AutocastDevice, a: AutocastOptions | (() => T), b?: () => T): T {
  const opts = typeof a === 'function' ? {} : a;
  const fn = typeof a === 'function' ? a : b;
  if (!fn) throw new TypeError('autocast: expected a function to run');
  if (deviceType !== 'cpu' && deviceType !== 'cuda')
    throw new TypeError(`autocast: deviceType must be 'cpu' or 'cuda', got '${String(deviceType)}'`);
  const dtype = opts.dtype ?? (deviceType === 'cuda' ? 'float16' : 'bfloat16');
  if (!ALLOWED[deviceType].includes(dtype))
    throw new TypeError(
      `autocast: dtype ${dtype} is not a low-precision dtype for ${deviceType}; use ${ALLOWED[deviceType].join(' or ')}`,
    );
  const prev = amp.autocastEnter(deviceType, opts.enabled ?? true, dtypeCode(dtype), opts.cacheEnabled ?? true);
  try {
    const out = fn();
    if (out instanceof Promise)
      throw new TypeError('autocast: fn must be synchronous (an async function would leave the region before it runs)');
    return out;
  } finally {
    amp.autocastExit(deviceType, prev[0], prev[1], prev[2]);
  }
}

/** Whether autocast is on for `deviceType` here, and its dtype (`torch.is_autocast_enabled`). */
export function autocastState(deviceType: AutocastDevice): { enabled: boolean; dtype: DType } {
  const [enabled, code] = amp.autocastState(deviceType);
  return { enabled, dtype: dtypeFromCode(code) };
}
