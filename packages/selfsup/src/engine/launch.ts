/**
 * Multi-process launch with torchrun's semantics: `--nproc-per-node N` starts N copies of the
 * same command with RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT
 * (and the CPU threads divided among them); `--nnodes/--node-rank/--master-addr/--master-port`
 * span machines. External launchers (Slurm, Kubernetes) set the same variables themselves.
 * When a worker fails, the others are stopped and its exit code is returned. SIGINT, SIGTERM and
 * SIGHUP are forwarded to the workers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

export interface LaunchOptions {
  nprocPerNode: number;
  nnodes?: number;
  nodeRank?: number;
  masterAddr?: string;
  masterPort?: number;
  /** The worker command line (without the launch flags). */
  args: string[];
  /** Node executable and script (default: this process's). */
  execPath?: string;
  script?: string;
}

/** Whether this process is a worker of a distributed run (the environment says so). */
export function distributedEnv(): { rank: number; worldSize: number; localRank: number } | null {
  const ws = Number(process.env.WORLD_SIZE ?? '1');
  if (!(ws > 1)) return null;
  return { rank: Number(process.env.RANK ?? 0), worldSize: ws, localRank: Number(process.env.LOCAL_RANK ?? 0) };
}

/** Starts the workers and resolves with the first failing exit code (or 0). */
export function launch(o: LaunchOptions): Promise<number> {
  const nnodes = o.nnodes ?? 1;
  const nodeRank = o.nodeRank ?? 0;
  const world = o.nprocPerNode * nnodes;
  const port = o.masterPort ?? 29500;
  const threads = Math.max(1, Math.floor(availableParallelism() / o.nprocPerNode));
  const children: ChildProcess[] = [];
  return new Promise((done) => {
    let remaining = o.nprocPerNode;
    let failed = 0;
    const stopAll = (except: ChildProcess) => {
      for (const c of children) if (c !== except && c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    };
    for (let local = 0; local < o.nprocPerNode; local++) {
      const env = {
        ...process.env,
        RANK: String(nodeRank * o.nprocPerNode + local),
        LOCAL_RANK: String(local),
        WORLD_SIZE: String(world),
        LOCAL_WORLD_SIZE: String(o.nprocPerNode),
        GROUP_RANK: String(nodeRank),
        MASTER_ADDR: o.masterAddr ?? '127.0.0.1',
        MASTER_PORT: String(port),
        OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? String(threads),
        // Workers exit when their parent is no longer this launcher (it was killed -9).
        SELFSUP_LAUNCHER_PID: String(process.pid),
      };
      const child = spawn(o.execPath ?? process.execPath, [o.script ?? process.argv[1], ...o.args], {
        env,
        stdio: 'inherit',
      });
      children.push(child);
      child.on('exit', (code, signal) => {
        const rc = code ?? (signal ? 1 : 0);
        if (rc !== 0 && failed === 0) {
          failed = rc;
          console.error(`selfsup: worker ${env.RANK} exited with ${signal ?? `code ${rc}`}; stopping the others`);
          stopAll(child);
        }
        if (--remaining === 0) done(failed);
      });
    }
    const forward = (sig: NodeJS.Signals) => () => {
      for (const c of children) if (c.exitCode === null) c.kill(sig);
    };
    // Every signal is forwarded: the first asks the workers to save and stop, a second to exit.
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, forward(sig));
  });
}
