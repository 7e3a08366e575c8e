/** nn.MultiheadAttention (Vaswani et al. 2017) with PyTorch's parameter names and mask conventions. */
import { empty, zeros } from '../creation.js';
import * as F from '../functional.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { xavierUniform_, zeros_ } from './init.js';
import { Linear } from './linear.js';
import { Module } from './module.js';

export interface MultiheadAttentionOptions {
  dropout?: number;
  bias?: boolean;
  kdim?: number;
  vdim?: number;
  /** Inputs are `(N, L, E)` instead of PyTorch's default `(L, N, E)`. */
  batchFirst?: boolean;
}

export interface AttentionCallOptions {
  /** `(N, S)`; true (or −inf) marks keys to ignore. */
  keyPaddingMask?: Tensor | null;
  /** `(L, S)` or `(N·heads, L, S)`; a bool mask marks pairs that may NOT attend, a float one is added. */
  attnMask?: Tensor | null;
  needWeights?: boolean;
  averageAttnWeights?: boolean;
}

/**
 * Multi-head attention. Parameters: `in_proj_weight (3E, E)`, `in_proj_bias`, `out_proj` — or
 * `q/k/v_proj_weight` when `kdim`/`vdim` differ from E. Returns `[output, weights | null]`.
 */
export class MultiheadAttention extends Module<[Tensor, Tensor, Tensor, AttentionCallOptions?], [Tensor, Tensor | null]> {
  readonly headDim: number;
  readonly inProjWeight: Tensor | null;
  readonly qProjWeight: Tensor | null;
  readonly kProjWeight: Tensor | null;
  readonly vProjWeight: Tensor | null;
  readonly inProjBias: Tensor | null;
  readonly outProj: Linear;
  readonly kdim: number;
  readonly vdim: number;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    readonly o: MultiheadAttentionOptions = {},
  ) {
    super();
    if (embedDim % numHeads !== 0)
      throw new RangeError(`MultiheadAttention: embed_dim ${embedDim} must be divisible by num_heads ${numHeads}`);
    this.headDim = embedDim / numHeads;
    this.kdim = o.kdim ?? embedDim;
    this.vdim = o.vdim ?? embedDim;
    const same = this.kdim === embedDim && this.vdim === embedDim;
    this.inProjWeight = this.registerParameter('in_proj_weight', same ? empty([3 * embedDim, embedDim]) : null);
    this.qProjWeight = this.registerParameter('q_proj_weight', same ? null : empty([embedDim, embedDim]));
    this.kProjWeight = this.registerParameter('k_proj_weight', same ? null : empty([embedDim, this.kdim]));
    this.vProjWeight = this.registerParameter('v_proj_weight', same ? null : empty([embedDim, this.vdim]));
    this.inProjBias = this.registerParameter('in_proj_bias', o.bias === false ? null : zeros([3 * embedDim]));
    this.outProj = this.registerModule('out_proj', new Linear(embedDim, embedDim, { bias: o.bias !== false }));
    for (const w of [this.inProjWeight, this.qProjWeight, this.kProjWeight, this.vProjWeight]) if (w) xavierUniform_(w);
    if (this.outProj.bias) zeros_(this.outProj.bias);
  }

  forward(query: Tensor, key: Tensor, value: Tensor, c: AttentionCallOptions = {}): [Tensor, Tensor | null] {
    const E = this.embedDim;
    const H = this.numHeads;
    const hd = this.headDim;
    return tidy(() => {
      // Work in (N, L, E).
      const [q0, k0, v0] = this.o.batchFirst
        ? [query, key, value]
        : [query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)];
      const b = this.inProjBias ? this.inProjBias.chunk(3) : [null, null, null];
      const [wq, wk, wv] = this.inProjWeight
        ? this.inProjWeight.chunk(3)
        : [this.qProjWeight, this.kProjWeight, this.vProjWeight];
      const N = q0.shape[0];
      const L = q0.shape[1];
      const S = k0.shape[1];
      const heads = (t: Tensor, len: number) => t.reshape(N, len, H, hd).transpose(1, 2);
      const q = heads(F.linear(q0, wq as Tensor, b[0]), L);
      const k = heads(F.linear(k0, wk as Tensor, b[1]), S);
      const v = heads(F.linear(v0, wv as Tensor, b[2]), S);
      let scores = q.matmul(k.transpose(-2, -1)).mul({ float: 1 / Math.sqrt(hd) });
      if (c.attnMask) {
        const m = c.attnMask.dim() === 3 ? c.attnMask.reshape(N, H, L, S) : c.attnMask;
        scores = m.dtype === 'bool' ? scores.maskedFill(m, -Infinity) : scores.add(m);
      }
      if (c.keyPaddingMask) {
        const m = c.keyPaddingMask.reshape(N, 1, 1, S);
        scores = m.dtype === 'bool' ? scores.maskedFill(m, -Infinity) : scores.add(m);
      }
      let attn = F.softmax(scores, -1);
      const p = this.o.dropout ?? 0;
      const weights = attn;
      if (p > 0 && this.training) attn = F.dropout(attn, p, true);
      const ctx = attn.matmul(v).transpose(1, 2).reshape(N, L, E);
      let out = this.outProj.forward(ctx);
      if (!this.o.batchFirst) out = out.transpose(0, 1);
      const needWeights = c.needWeights ?? true;
      const w = needWeights ? ((c.averageAttnWeights ?? true) ? weights.mean(1) : weights) : null;
      return [out, w];
    });
  }

  override extraRepr(): string {
    return `embed_dim=${this.embedDim}, num_heads=${this.numHeads}`;
  }
}
