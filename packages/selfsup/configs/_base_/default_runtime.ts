/** Runtime defaults (MMSelfSup's default_runtime.py): logging, checkpoints, seed. */
export default {
  defaultHooks: {
    logger: { interval: 50 },
    checkpoint: { interval: 10, maxKeepCkpts: 3 },
  },
  randomness: { seed: 0, deterministic: false },
};
