/**
 * The DataLoader's worker threads. Each batch is cut into one contiguous chunk per worker; chunks
 * come back as bytes and are joined in order. A sample's views depend only on (seed, epoch, index,
 * view), and a batch's views equal its samples' views stacked, so the joined batch is the same
 * whatever the number of workers or the order in which they finish.
 */
import { Worker } from 'node:worker_threads';
import type { BatchRequest, ChunkResult, InitMessage, WorkerReply, WorkerSetup } from './protocol.js';

interface Pending {
  resolve: (r: ChunkResult) => void;
  reject: (e: Error) => void;
}

/** An error a worker reported for a batch; `decode` marks an undecodable image. */
export class WorkerError extends Error {
  constructor(
    message: string,
    readonly decode: boolean,
  ) {
    super(message);
    this.name = 'WorkerError';
  }
}

class Thread {
  private readonly pending = new Map<number, Pending>();
  private failed: Error | null = null;

  constructor(
    readonly worker: Worker,
    private readonly ready: Promise<number>,
  ) {
    worker.on('message', (m: WorkerReply) => {
      if (m.type === 'result' || (m.type === 'error' && m.id !== null)) {
        const p = this.pending.get(m.id as number);
        this.pending.delete(m.id as number);
        if (this.pending.size === 0) worker.unref();
        if (m.type === 'result') p?.resolve(m);
        else p?.reject(new WorkerError(m.message, m.decode));
      }
    });
    const fail = (e: Error) => {
      this.failed = e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`selfsup: a loader worker exited (code ${code})`)));
  }

  static start(setup: WorkerSetup): Thread {
    const worker = new Worker(new URL('./worker.js', import.meta.url));
    const ready = new Promise<number>((resolve, reject) => {
      const onMessage = (m: WorkerReply) => {
        if (m.type === 'ready') {
          worker.unref();
          resolve(m.length);
        } else if (m.type === 'error' && m.id === null)
          reject(
            new Error(
              `selfsup: a loader worker could not start: ${m.message} (workers rebuild the dataset and pipeline ` +
                'from config: parts registered outside selfsup reach them through modules loaded with --import; ' +
                'or load on the training thread with trainDataloader.numWorkers=0)',
            ),
          );
        else return;
        worker.off('message', onMessage);
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
    ready.catch(() => undefined);
    worker.postMessage({ type: 'init', ...setup } satisfies InitMessage);
    return new Thread(worker, ready);
  }

  length(): Promise<number> {
    return this.ready;
  }

  send(req: BatchRequest): Promise<ChunkResult> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.pending.set(req.id, { resolve, reject });
      // Referenced only while it owes results, so an idle pool never keeps the process alive.
      this.worker.ref();
      this.worker.postMessage(req);
    });
  }
}

export class WorkerPool {
  private nextId = 0;

  private constructor(private readonly threads: Thread[]) {}

  /** Starts `count` workers and waits until each has built the dataset (of `expectLength` samples). */
  static async start(count: number, setup: WorkerSetup, expectLength: number): Promise<WorkerPool> {
    const threads = Array.from({ length: count }, () => Thread.start(setup));
    const pool = new WorkerPool(threads);
    try {
      const lengths = await Promise.all(threads.map((t) => t.length()));
      if (lengths.some((n) => n !== expectLength))
        throw new Error(
          `selfsup: the workers' dataset has ${lengths[0]} samples but the loader's ${expectLength}: workers.dataset must describe the same dataset`,
        );
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  get size(): number {
    return this.threads.length;
  }

  /** The chunks of one batch, in order (empty chunks when the batch is smaller than the pool). */
  run(indices: number[], seed: number, epoch: number): Promise<ChunkResult[]> {
    const n = this.threads.length;
    const per = Math.ceil(indices.length / n);
    const jobs: Promise<ChunkResult>[] = [];
    for (let w = 0; w < n && w * per < indices.length; w++) {
      jobs.push(
        this.threads[w].send({ type: 'batch', id: this.nextId++, indices: indices.slice(w * per, (w + 1) * per), seed, epoch }),
      );
    }
    return Promise.all(jobs);
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}
