/**
 * Data-parallel training over `torch.distributed` (PyTorch's DistributedDataParallel semantics):
 * parameters and buffers start equal (broadcast from rank 0), every rank runs its own batch, and
 * after `backward()` the gradients are averaged across ranks in flattened buckets (~25 MB, as
 * PyTorch's default) before the optimizer step. State-dict keys gain PyTorch's `module.` prefix.
 */
import { noGrad } from '../autograd.js';
import * as dist from '../distributed.js';
import { cat } from '../math.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

export interface DDPOptions {
  /** Bucket size for the gradient all-reduce, in MiB. */
  bucketCapMb?: number;
  /** Re-broadcast rank 0's buffers (BN running stats) before every forward, as PyTorch does. */
  broadcastBuffers?: boolean;
}

export class DistributedDataParallel<I extends unknown[] = [Tensor], O = Tensor> extends Module<I, O> {
  readonly module: Module<I, O>;
  private readonly bucketBytes: number;
  private readonly broadcastBuffers: boolean;

  constructor(module: Module<I, O>, o: DDPOptions = {}) {
    super();
    this.module = this.registerModule('module', module);
    this.bucketBytes = (o.bucketCapMb ?? 25) * 2 ** 20;
    this.broadcastBuffers = o.broadcastBuffers ?? true;
    if (dist.getWorldSize() > 1) {
      noGrad(() => dist.broadcast([...module.parameters(), ...module.buffers()], 0));
    }
  }

  forward(...args: I): O {
    if (this.broadcastBuffers && dist.getWorldSize() > 1 && this.training) {
      const bufs = this.module.buffers();
      if (bufs.length) noGrad(() => dist.broadcast(bufs, 0));
    }
    return this.module.forward(...args);
  }

  /**
   * Averages every parameter's gradient across ranks (call after `backward()`, before `step()`).
   * A parameter without a gradient on this rank contributes zeros, so ranks stay in lockstep.
   */
  syncGradients(): void {
    const world = dist.getWorldSize();
    if (world <= 1) return;
    const params = this.module.parameters().filter((p) => p.requiresGrad);
    let bucket: Tensor[] = [];
    let bytes = 0;
    const flush = () => {
      if (bucket.length === 0) return;
      const ps = bucket;
      bucket = [];
      bytes = 0;
      tidy(() => {
        const own = ps.map((p) => p.grad);
        const grads = own.map((g, i) => g ?? ps[i].detach().mul(0));
        const flat = cat(grads.map((g) => g.flatten()));
        dist.allReduce(flat);
        flat.div_(world);
        let off = 0;
        ps.forEach((p, i) => {
          const n = grads[i].numel();
          const g = flat.narrow(0, off, n).view(grads[i].shape);
          if (own[i] === null) p.grad = g.clone();
          else grads[i].copy_(g);
          off += n;
        });
      });
    };
    for (const p of params) {
      bucket.push(p);
      bytes += p.numel() * 4;
      if (bytes >= this.bucketBytes) flush();
    }
    flush();
  }
}
