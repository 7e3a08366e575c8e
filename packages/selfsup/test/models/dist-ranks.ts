/** Runs a test worker script as a group of Gloo processes on loopback and collects each rank's JSON line. */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

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
