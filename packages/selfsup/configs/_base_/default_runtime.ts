/** Runtime defaults (MMSelfSup's default_runtime.py): logging, checkpoints, seed. */
import { defineConfig } from 'selfsup/config';

export default defineConfig({
  defaultHooks: { logger: { interval: 50 }, checkpoint: { interval: 10, maxKeepCkpts: 3 } },
  randomness: { seed: 0, deterministic: false },
});
