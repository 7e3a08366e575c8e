/**
 * `torch.distributed`: PyTorch's c10d process groups (not a new protocol) — a TCPStore
 * rendezvous and Gloo collectives on CPU tensors. Ranks are processes; set them up with
 * `initProcessGroup()` (reading RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT like torchrun's
 * `env://`) or explicit options. Collectives block until every rank has joined them.
 */
import { cat } from './math.js';
import { native } from './native.js';
import { tidy } from './scope.js';
import type { Tensor } from './tensor.js';
import { Tensor as TensorClass } from './tensor.js';

interface DistNative {
  hasGloo(): boolean;
  hasNccl(): boolean;
  pgNew(host: string, port: number, rank: number, size: number, timeoutMs: number, backend: Backend): number;
  pgAllReduce(id: number, hs: number[], op: string): void;
  pgAllGather(id: number, h: number): number[];
  pgAllGatherWithGrad(id: number, h: number): number[];
  pgBroadcast(id: number, hs: number[], root: number): void;
  pgBarrier(id: number): void;
  pgDestroy(id: number): void;
}

const dist = native as unknown as DistNative;

export type ReduceOp = 'sum' | 'avg' | 'max' | 'min' | 'product';

/**
 * c10d's backends: Gloo (CPU tensors; CUDA tensors too on a CUDA libtorch) and NCCL (CUDA tensors
 * only; each process keeps its tensors on its own GPU, `cuda:LOCAL_RANK`).
 */
export type Backend = 'gloo' | 'nccl';

export interface InitOptions {
  /** Default 'gloo'. */
  backend?: Backend;
  rank?: number;
  worldSize?: number;
  masterAddr?: string;
  masterPort?: number;
  /** Rendezvous and collective timeout (default 30 min, as PyTorch). */
  timeoutMs?: number;
}

interface Group {
  id: number;
  rank: number;
  worldSize: number;
  backend: Backend;
}

let group: Group | null = null;

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new TypeError(`${name}=${v} is not a non-negative integer`);
  return n;
}

/** Whether this libtorch build has c10d's Gloo backend. */
export function isGlooAvailable(): boolean {
  return dist.hasGloo();
}

/** Joins the default process group; every rank calls it with the same master address and port. */
export function initProcessGroup(o: InitOptions = {}): void {
  if (group) throw new Error('initProcessGroup: the default process group is already initialized');
  const backend = o.backend ?? 'gloo';
  if (backend !== 'gloo' && backend !== 'nccl')
    throw new TypeError(`initProcessGroup: unknown backend '${String(backend)}'; use 'gloo' or 'nccl'`);
  if (!dist.hasGloo()) throw new Error('initProcessGroup: this build has no c10d (install libgloo-dev and rebuild the addon)');
  if (backend === 'nccl' && !dist.hasNccl())
    throw new Error(
      "initProcessGroup: backend 'nccl' needs the addon built against a CUDA libtorch >= 2 with nccl.h " +
        '(LIBTORCH=<pip torch dir> bash scripts/setup.sh); use backend gloo',
    );
  const rank = o.rank ?? envInt('RANK');
  const worldSize = o.worldSize ?? envInt('WORLD_SIZE');
  const addr = o.masterAddr ?? process.env.MASTER_ADDR;
  const port = o.masterPort ?? envInt('MASTER_PORT');
  const missing = [
    rank === undefined && 'RANK',
    worldSize === undefined && 'WORLD_SIZE',
    !addr && 'MASTER_ADDR',
    port === undefined && 'MASTER_PORT',
  ].filter(Boolean);
  if (missing.length) throw new Error(`initProcessGroup: set ${missing.join(', ')} (environment) or pass them as options`);
  const id = dist.pgNew(
    addr as string,
    port as number,
    rank as number,
    worldSize as number,
    o.timeoutMs ?? 30 * 60 * 1000,
    backend,
  );
  group = { id, rank: rank as number, worldSize: worldSize as number, backend };
}

/** The default group's backend (null when not distributed). */
export function getBackend(): Backend | null {
  return group?.backend ?? null;
}

/** Whether this addon was built with the NCCL backend. */
export function isNcclAvailable(): boolean {
  return dist.hasNccl();
}

export function isInitialized(): boolean {
  return group !== null;
}

function need(what: string): Group {
  if (!group)
    throw new Error(`${what}: the default process group is not initialized (call torch.distributed.initProcessGroup())`);
  return group;
}

/** This process's rank (0 when not distributed). */
export function getRank(): number {
  return group?.rank ?? 0;
}

/** Number of processes (1 when not distributed). */
export function getWorldSize(): number {
  return group?.worldSize ?? 1;
}

/**
 * Runs a collective over several tensors at once: Gloo takes one tensor per call, so tensors of
 * a dtype are flattened into one buffer (PyTorch's "coalesced" collectives), then copied back.
 */
function coalesced(ts: Tensor[], run: (flat: Tensor) => void): void {
  if (ts.length === 1 && ts[0].isContiguous()) {
    run(ts[0]);
    return;
  }
  const byDtype = new Map<string, Tensor[]>();
  for (const t of ts) byDtype.set(t.dtype, [...(byDtype.get(t.dtype) ?? []), t]);
  for (const group of byDtype.values()) {
    tidy(() => {
      const flat = cat(group.map((t) => t.reshape(-1)));
      run(flat);
      let off = 0;
      for (const t of group) {
        const n = t.numel();
        t.copy_(flat.narrow(0, off, n).view(t.shape));
        off += n;
      }
    });
  }
}

/** Reduces `tensors` across ranks in place; `avg` is a sum divided by the world size. */
export function allReduce(tensors: Tensor | Tensor[], opts: { op?: ReduceOp } = {}): void {
  const g = need('allReduce');
  const ts = Array.isArray(tensors) ? tensors : [tensors];
  const op = opts.op ?? 'sum';
  coalesced(ts, (flat) => dist.pgAllReduce(g.id, [flat.handle], op === 'avg' ? 'sum' : op));
  if (op === 'avg') for (const t of ts) t.div_(g.worldSize);
}

/** Every rank's `t`, in rank order (all ranks must pass the same shape and dtype). */
export function allGather(t: Tensor): Tensor[] {
  const g = need('allGather');
  return dist.pgAllGather(g.id, t.handle).map((h) => new TensorClass(h));
}

/**
 * Every rank's `t` with a gradient path back to this rank's `t` (MMSelfSup's GatherLayer):
 * the backward all-reduces the gradients of the gathered list and keeps this rank's slice, so a
 * loss over all ranks' samples (SimCLR's negatives) trains every rank's encoder.
 */
export function allGatherWithGrad(t: Tensor): Tensor[] {
  const g = need('allGatherWithGrad');
  return dist.pgAllGatherWithGrad(g.id, t.handle).map((h) => new TensorClass(h));
}

/** Copies rank `src`'s tensors into every rank's, in place. */
export function broadcast(tensors: Tensor | Tensor[], src = 0): void {
  const g = need('broadcast');
  coalesced(Array.isArray(tensors) ? tensors : [tensors], (flat) => dist.pgBroadcast(g.id, [flat.handle], src));
}

/** Waits until every rank reaches the barrier. */
export function barrier(): void {
  dist.pgBarrier(need('barrier').id);
}

export function destroyProcessGroup(): void {
  if (group) dist.pgDestroy(group.id);
  group = null;
}
