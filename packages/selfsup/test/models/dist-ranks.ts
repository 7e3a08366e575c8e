/** Runs a test worker script as a group of Gloo processes on loopback and collects each rank's JSON line. */
import { spawn } from 'node:child_process';
import { freePort } from '../helpers.js';

/** Starts `world` copies of `script` (RANK/WORLD_SIZE/MASTER_* set) and resolves with their last stdout lines, parsed. */
export async function runRanks<T>(script: string, world: number): Promise<T[]> {
  const port = await freePort();
  return Promise.all(
    Array.from(
      { length: world },
      (_, rank) =>
        new Promise<T>((resolve, reject) => {
          const env = {
            ...process.env,
            RANK: String(rank),
            WORLD_SIZE: String(world),
            MASTER_ADDR: '127.0.0.1',
            MASTER_PORT: String(port),
          };
          const p = spawn(process.execPath, [script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          let err = '';
          const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
          p.stdout.on('data', (d) => (out += d));
          p.stderr.on('data', (d) => (err += d));
          p.on('close', (code) => {
            clearTimeout(timer);
            if (code === 0) resolve(JSON.parse(out.trim().split('\n').pop() as string) as T);
            else reject(new Error(`rank ${rank} exited ${code}: ${err}`));
          });
        }),
    ),
  );
}
