/**
 * Multi-process launch with torchrun's semantics: `--nproc-per-node N` starts N copies of the
 * same command with RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT
 * (and the CPU threads divided among them); `--nnodes/--node-rank/--master-addr/--master-port`
 * span machines. Under Slurm (`srun`, `--launcher slurm`) the variables come from Slurm's
 * (`adoptSlurmEnv`); other launchers (Kubernetes, torchrun) set them themselves.
 * When a worker fails, the others are stopped and its exit code is returned. SIGINT, SIGTERM and
 * SIGHUP are forwarded to the workers.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
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

/**
 * The first host of a Slurm node list (`gpu[07-08,11],cpu3` → `gpu07`), for when `scontrol` is not
 * on the PATH. Zero padding is kept, as Slurm names hosts.
 */
export function firstSlurmHost(nodeList: string): string {
  const m = /^([^,[]*)(?:\[([^\]]+)\])?([^,]*)/.exec(nodeList.trim());
  if (!m || (!m[1] && !m[2])) throw new Error(`SLURM_NODELIST '${nodeList}' is not a Slurm node list`);
  const first = m[2] ? (m[2].split(',')[0].split('-')[0] ?? '') : '';
  return `${m[1]}${first}${m[3]}`;
}

/**
 * Under `srun` (one task per GPU, `--launcher slurm`), the torchrun variables from Slurm's, as
 * MMEngine's `_init_dist_slurm`: RANK = SLURM_PROCID, WORLD_SIZE = SLURM_NTASKS, LOCAL_RANK =
 * SLURM_LOCALID, MASTER_ADDR = the first host of SLURM_NODELIST (`scontrol show hostnames`),
 * MASTER_PORT = 29500 unless set. Variables already set win. Returns what it set.
 */
export function adoptSlurmEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const need = ['SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST'].filter((k) => env[k] === undefined);
  if (need.length) throw new Error(`--launcher slurm: ${need.join(', ')} not set (run the command under srun)`);
  let master = env.MASTER_ADDR;
  if (!master) {
    const r = spawnSync('scontrol', ['show', 'hostnames', env.SLURM_NODELIST as string], { encoding: 'utf8', env });
    master =
      r.status === 0 && r.stdout.trim() ? r.stdout.trim().split('\n')[0].trim() : firstSlurmHost(env.SLURM_NODELIST as string);
  }
  const set: Record<string, string> = {
    RANK: env.RANK ?? (env.SLURM_PROCID as string),
    WORLD_SIZE: env.WORLD_SIZE ?? (env.SLURM_NTASKS as string),
    LOCAL_RANK: env.LOCAL_RANK ?? env.SLURM_LOCALID ?? '0',
    MASTER_ADDR: master,
    MASTER_PORT: env.MASTER_PORT ?? '29500',
  };
  Object.assign(env, set);
  return set;
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
