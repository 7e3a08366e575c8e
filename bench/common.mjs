// What the benchmark scripts share.

/**
 * The glibc malloc settings selfsup's addon applies to itself (native/runtime.cc), passed to the
 * Python reference through glibc's environment variables so both sides allocate alike.
 */
export const MALLOC_ENV = {
  MALLOC_MMAP_THRESHOLD_: String(32 << 20),
  MALLOC_TRIM_THRESHOLD_: String(1 << 30),
  MALLOC_TOP_PAD_: String(64 << 20),
};

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
