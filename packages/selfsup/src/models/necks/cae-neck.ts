/**
 * CAE's latent contextual regressor and decoder (Chen et al. 2022, "Context Autoencoder for
 * Self-Supervised Representation Learning", arXiv:2202.03026), as MMSelfSup 1.x's `CAENeck`:
 * - the regressor: `maskTokensNum` copies of `mask_token` are the queries of cross-attention blocks
 *   whose keys and values are the visible tokens and the queries themselves (keys with position
 *   embeddings, values without); its normalised output is the latent prediction;
 * - the decoder: the latent prediction plus the masked positions' embedding through self-attention
 *   blocks, a norm and a linear `head` to `numClasses` visual-token logits.
 *
 * `forward(xUnmasked (N, V, C), posMasked (N, M, C), posUnmasked (N, V, C))` →
 * `[logits (N, M, numClasses), latentPred (N, M, C)]` (M = maskTokensNum). Keys are MMSelfSup's:
 * `regressors.i.{norm1_q_cross,norm1_k_cross,norm1_v_cross,norm2_cross}.*`,
 * `regressors.i.cross_attn.{q,k,v}.weight`, `…cross_attn.{q_bias,v_bias}`, `…cross_attn.proj.*`,
 * `regressors.i.ffn.layers.{0.0,1}.*`, `regressors.i.gamma_{1,2}_cross`, `decoders.i.{ln1,ln2}.*`,
 * `decoders.i.attn.{qkv,proj}.*`, `decoders.i.ffn.layers.{0.0,1}.*`, `decoders.i.gamma_{1,2}`,
 * `norm_regressor.*`, `norm_decoder.*`, `head.*`, `mask_token`.
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { bool, nonNegNum, posInt, posNum, prob, z } from '../../core/schema.js';
import { NECKS } from '../registries.js';

const { F } = torch;
const { init } = nn;

/**
 * mmcv's `FFN` (two layers): Linear–GELU–Dropout then Linear–Dropout, keys `layers.0.0.*` and
 * `layers.1.*`. `(…, C)` → `(…, C)`.
 */
export class CAEFFN extends nn.Module<[Tensor], Tensor> {
  readonly fc1: nn.Linear;
  readonly fc2: nn.Linear;
  readonly drop: nn.Dropout;

  constructor(dim: number, hidden: number, drop = 0) {
    super();
    this.fc1 = new nn.Linear(dim, hidden);
    this.fc2 = new nn.Linear(hidden, dim);
    this.drop = new nn.Dropout(drop);
    this.registerModule('layers', new nn.ModuleDict<nn.AnyModule>({ '0': new nn.ModuleDict({ '0': this.fc1 }), '1': this.fc2 }));
  }

  forward(x: Tensor): Tensor {
    return torch.tidy(() => this.drop.forward(this.fc2.forward(this.drop.forward(F.gelu(this.fc1.forward(x))))));
  }
}

/** Splits `(N, T, C)` into heads `(N, heads, T, C/heads)`. */
function heads(x: Tensor, h: number): Tensor {
  const [n, t, c] = x.shape;
  return x.reshape(n, t, h, c / h).transpose(1, 2);
}

/**
 * MMSelfSup's `CrossMultiheadAttention`: queries from `x (N, Tq, C)`, keys from `k (N, Tk, C)`,
 * values from `v (N, Tk, C)`, separate bias-free `q`, `k`, `v` projections plus `q_bias`, `v_bias`
 * (no key bias) when `qkvBias`. → `(N, Tq, C)`.
 */
export class CAECrossAttention extends nn.Module<[Tensor, Tensor, Tensor], Tensor> {
  readonly q: nn.Linear;
  readonly k: nn.Linear;
  readonly v: nn.Linear;
  readonly q_bias: Tensor | null;
  readonly v_bias: Tensor | null;
  readonly proj: nn.Linear;
  readonly projDrop: nn.Dropout;

  constructor(
    readonly dim: number,
    readonly numHeads: number,
    o: { qkvBias: boolean; attnDrop: number; drop: number },
  ) {
    super();
    if (dim % numHeads !== 0) throw new RangeError(`CAENeck: embedDims ${dim} must be divisible by numHeads ${numHeads}`);
    this.q = this.registerModule('q', new nn.Linear(dim, dim, { bias: false }));
    this.k = this.registerModule('k', new nn.Linear(dim, dim, { bias: false }));
    this.v = this.registerModule('v', new nn.Linear(dim, dim, { bias: false }));
    this.q_bias = this.registerParameter('q_bias', o.qkvBias ? torch.zeros([dim]) : null);
    this.v_bias = this.registerParameter('v_bias', o.qkvBias ? torch.zeros([dim]) : null);
    this.proj = this.registerModule('proj', new nn.Linear(dim, dim));
    this.projDrop = this.registerModule('proj_drop', new nn.Dropout(o.drop));
    this.attnDrop = o.attnDrop;
  }

  private readonly attnDrop: number;

  forward(x: Tensor, k: Tensor, v: Tensor): Tensor {
    return torch.tidy(() => {
      const [n, t, c] = x.shape;
      let q = this.q.forward(x);
      let vv = this.v.forward(v);
      if (this.q_bias && this.v_bias) {
        q = q.add(this.q_bias);
        vv = vv.add(this.v_bias);
      }
      const o = F.scaledDotProductAttention(
        heads(q, this.numHeads),
        heads(this.k.forward(k), this.numHeads),
        heads(vv, this.numHeads),
        {
          dropoutP: this.training ? this.attnDrop : 0,
        },
      );
      return this.projDrop.forward(this.proj.forward(o.transpose(1, 2).reshape(n, t, c)));
    });
  }
}

/** Options every CAE neck layer shares. */
export interface CAELayerOptions {
  mlpRatio: number;
  qkvBias: boolean;
  drop: number;
  attnDrop: number;
  dropPath: number;
  normEps: number;
  /** Layer scale init; 0 for none. */
  layerScaleInit: number;
}

/**
 * MMSelfSup's `CAETransformerRegressorLayer`: x = x_q + γ1·cross_attn(ln_q(x_q + pos_q),
 * ln_k(x_kv + pos_k), ln_v(x_kv)); x = ln2(x); x + γ2·ffn(x). Without layer scale γ1 = γ2 = 1
 * (stored, not trained, as MMSelfSup's).
 */
export class CAERegressorLayer extends nn.Module<[Tensor, Tensor, Tensor, Tensor], Tensor> {
  readonly norm1_q_cross: nn.LayerNorm;
  readonly norm1_k_cross: nn.LayerNorm;
  readonly norm1_v_cross: nn.LayerNorm;
  readonly norm2_cross: nn.LayerNorm;
  readonly cross_attn: CAECrossAttention;
  readonly ffn: CAEFFN;
  readonly dropPath: nn.DropPath;
  readonly gamma_1_cross: Tensor;
  readonly gamma_2_cross: Tensor;

  constructor(dim: number, numHeads: number, o: CAELayerOptions) {
    super();
    const ln = () => new nn.LayerNorm(dim, { eps: o.normEps });
    this.norm1_q_cross = this.registerModule('norm1_q_cross', ln());
    this.norm1_k_cross = this.registerModule('norm1_k_cross', ln());
    this.norm1_v_cross = this.registerModule('norm1_v_cross', ln());
    this.norm2_cross = this.registerModule('norm2_cross', ln());
    this.cross_attn = this.registerModule(
      'cross_attn',
      new CAECrossAttention(dim, numHeads, { qkvBias: o.qkvBias, attnDrop: o.attnDrop, drop: o.drop }),
    );
    this.ffn = this.registerModule('ffn', new CAEFFN(dim, Math.round(dim * o.mlpRatio), o.drop));
    this.dropPath = this.registerModule('drop_path', new nn.DropPath(o.dropPath));
    const ls = o.layerScaleInit;
    this.gamma_1_cross = this.registerParameter('gamma_1_cross', torch.full([dim], { float: ls > 0 ? ls : 1 }));
    this.gamma_2_cross = this.registerParameter('gamma_2_cross', torch.full([dim], { float: ls > 0 ? ls : 1 }));
    if (!(ls > 0)) for (const g of [this.gamma_1_cross, this.gamma_2_cross]) g.requiresGrad_(false);
  }

  /** `xQ (N, M, C)` queries, `xKV (N, V + M, C)` keys/values, their position embeddings. */
  forward(xQ: Tensor, xKV: Tensor, posQ: Tensor, posK: Tensor): Tensor {
    return torch.tidy(() => {
      const a = this.cross_attn.forward(
        this.norm1_q_cross.forward(xQ.add(posQ)),
        this.norm1_k_cross.forward(xKV.add(posK)),
        this.norm1_v_cross.forward(xKV),
      );
      const x = this.norm2_cross.forward(xQ.add(this.dropPath.forward(a.mul(this.gamma_1_cross))));
      return x.add(this.dropPath.forward(this.ffn.forward(x).mul(this.gamma_2_cross)));
    });
  }
}

/**
 * MMSelfSup's `MultiheadAttention` with `qkv_bias=True` (what `CAENeck` builds): one `qkv` linear
 * with its own bias (keys too), softmax(q·kᵀ/√d)·v, `proj`. `(N, T, C)` → `(N, T, C)`.
 */
export class CAESelfAttention extends nn.Module<[Tensor], Tensor> {
  readonly qkv: nn.Linear;
  readonly proj: nn.Linear;
  readonly projDrop: nn.Dropout;

  constructor(
    readonly dim: number,
    readonly numHeads: number,
    private readonly o: { qkvBias: boolean; attnDrop: number; drop: number },
  ) {
    super();
    if (dim % numHeads !== 0) throw new RangeError(`CAENeck: embedDims ${dim} must be divisible by numHeads ${numHeads}`);
    this.qkv = this.registerModule('qkv', new nn.Linear(dim, 3 * dim, { bias: o.qkvBias }));
    this.proj = this.registerModule('proj', new nn.Linear(dim, dim));
    this.projDrop = this.registerModule('proj_drop', new nn.Dropout(o.drop));
  }

  forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      const [n, t, c] = x.shape;
      const [q, k, v] = this.qkv
        .forward(x)
        .reshape(n, t, 3, this.numHeads, c / this.numHeads)
        .permute(2, 0, 3, 1, 4)
        .unbind(0);
      const o = F.scaledDotProductAttention(q, k, v, { dropoutP: this.training ? this.o.attnDrop : 0 });
      return this.projDrop.forward(this.proj.forward(o.transpose(1, 2).reshape(n, t, c)));
    });
  }
}

/** MMSelfSup's `TransformerEncoderLayer` (the decoder's): x + γ1·attn(ln1(x)); x + γ2·ffn(ln2(x)). */
export class CAEDecoderLayer extends nn.Module<[Tensor], Tensor> {
  readonly ln1: nn.LayerNorm;
  readonly attn: CAESelfAttention;
  readonly ln2: nn.LayerNorm;
  readonly ffn: CAEFFN;
  readonly dropPath: nn.DropPath;
  readonly gamma_1: Tensor | null;
  readonly gamma_2: Tensor | null;

  constructor(dim: number, numHeads: number, o: CAELayerOptions) {
    super();
    this.ln1 = this.registerModule('ln1', new nn.LayerNorm(dim, { eps: o.normEps }));
    this.attn = this.registerModule('attn', new CAESelfAttention(dim, numHeads, o));
    this.ln2 = this.registerModule('ln2', new nn.LayerNorm(dim, { eps: o.normEps }));
    this.ffn = this.registerModule('ffn', new CAEFFN(dim, Math.round(dim * o.mlpRatio), o.drop));
    this.dropPath = this.registerModule('drop_path', new nn.DropPath(o.dropPath));
    const ls = o.layerScaleInit;
    this.gamma_1 = this.registerParameter('gamma_1', ls > 0 ? torch.full([dim], { float: ls }) : null);
    this.gamma_2 = this.registerParameter('gamma_2', ls > 0 ? torch.full([dim], { float: ls }) : null);
  }

  forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      const a = this.attn.forward(this.ln1.forward(x));
      const y = x.add(this.dropPath.forward(this.gamma_1 ? a.mul(this.gamma_1) : a));
      const m = this.ffn.forward(this.ln2.forward(y));
      return y.add(this.dropPath.forward(this.gamma_2 ? m.mul(this.gamma_2) : m));
    });
  }
}

/** `CAENeck` options (everything but `type`); defaults are MMSelfSup's. */
export const caeNeckSchema = z.strictObject({
  /** MMSelfSup's `patch_size` (recorded, unused by the computation). Default 16. */
  patchSize: posInt().optional(),
  /** Visual vocabulary of the decoder's `head` (DALL-E's 8192). */
  numClasses: posInt().optional(),
  embedDims: posInt().optional(),
  regressorDepth: posInt().optional(),
  decoderDepth: posInt().optional(),
  numHeads: posInt().optional(),
  mlpRatio: posNum().optional(),
  /** Regressor: q/v biases; decoder: a bias on the whole `qkv`. Default true. */
  qkvBias: bool().optional(),
  dropRate: prob().optional(),
  attnDropRate: prob().optional(),
  /** Stochastic depth, linear from 0 to this over each of the two stacks. Default 0. */
  dropPathRate: prob().optional(),
  normEps: posNum().optional(),
  /** Layer scale init (MMSelfSup's `init_values`); 0 (the default) for none. */
  layerScaleInit: nonNegNum().optional(),
  /** Masked patches per image, the regressor's queries (MMSelfSup's `mask_tokens_num`). Default 75. */
  maskTokensNum: posInt().optional(),
});
export type CAENeckOptions = z.input<typeof caeNeckSchema>;

/** Linear stochastic-depth rates 0 … max over `depth` layers (torch.linspace). */
const dropRates = (max: number, depth: number) =>
  Array.from({ length: depth }, (_, i) => (depth > 1 ? (max * i) / (depth - 1) : 0));

export class CAENeck extends nn.Module<[Tensor, Tensor, Tensor], [Tensor, Tensor]> {
  readonly embedDims: number;
  readonly numClasses: number;
  readonly maskTokensNum: number;
  readonly patchSize: number;
  readonly regressors: nn.ModuleList<CAERegressorLayer>;
  readonly decoders: nn.ModuleList<CAEDecoderLayer>;
  readonly norm_regressor: nn.LayerNorm;
  readonly norm_decoder: nn.LayerNorm;
  readonly head: nn.Linear;
  readonly mask_token: Tensor;

  constructor(o: CAENeckOptions = {}) {
    super();
    const dim = (this.embedDims = o.embedDims ?? 768);
    this.numClasses = o.numClasses ?? 8192;
    this.maskTokensNum = o.maskTokensNum ?? 75;
    this.patchSize = o.patchSize ?? 16;
    const numHeads = o.numHeads ?? 12;
    const base = {
      mlpRatio: o.mlpRatio ?? 4,
      qkvBias: o.qkvBias ?? true,
      drop: o.dropRate ?? 0,
      attnDrop: o.attnDropRate ?? 0,
      normEps: o.normEps ?? 1e-6,
      layerScaleInit: o.layerScaleInit ?? 0,
    };
    const rd = o.regressorDepth ?? 6;
    const dd = o.decoderDepth ?? 8;
    this.regressors = this.registerModule(
      'regressors',
      new nn.ModuleList(
        dropRates(o.dropPathRate ?? 0, rd).map((dp) => new CAERegressorLayer(dim, numHeads, { ...base, dropPath: dp })),
      ),
    );
    this.decoders = this.registerModule(
      'decoders',
      new nn.ModuleList(
        dropRates(o.dropPathRate ?? 0, dd).map((dp) => new CAEDecoderLayer(dim, numHeads, { ...base, dropPath: dp })),
      ),
    );
    this.norm_regressor = this.registerModule('norm_regressor', new nn.LayerNorm(dim, { eps: base.normEps }));
    this.norm_decoder = this.registerModule('norm_decoder', new nn.LayerNorm(dim, { eps: base.normEps }));
    this.head = this.registerModule('head', new nn.Linear(dim, this.numClasses));
    this.mask_token = this.registerParameter('mask_token', torch.zeros([1, 1, dim]));
    this.initWeights();
  }

  /** MMSelfSup's init: Xavier-uniform linears, zero biases, LayerNorm 1/0; trunc-normal(0.02) mask token and head weight. */
  initWeights(): void {
    torch.noGrad(() => {
      for (const m of this.modules()) {
        if (m instanceof nn.Linear) {
          init.xavierUniform_(m.weight);
          m.bias?.zero_();
        } else if (m instanceof nn.LayerNorm) {
          m.weight?.fill_(1);
          m.bias?.zero_();
        }
      }
      init.truncNormal_(this.mask_token, { std: 0.02 });
      init.truncNormal_(this.head.weight, { std: 0.02 });
    });
  }

  /**
   * `xUnmasked (N, V, C)` visible tokens (class token dropped), `posMasked (N, M, C)` and
   * `posUnmasked (N, V, C)` their position embeddings → `[logits (N, M, numClasses), latentPred (N, M, C)]`.
   */
  forward(xUnmasked: Tensor, posMasked: Tensor, posUnmasked: Tensor): [Tensor, Tensor] {
    const [n, v, c] = xUnmasked.shape;
    if (xUnmasked.dim() !== 3 || c !== this.embedDims)
      throw new RangeError(`CAENeck: expected visible tokens (N, V, ${this.embedDims}), got [${xUnmasked.shape}]`);
    if (posUnmasked.dim() !== 3 || posUnmasked.shape[0] !== n || posUnmasked.shape[1] !== v || posUnmasked.shape[2] !== c)
      throw new RangeError(`CAENeck: posUnmasked [${posUnmasked.shape}] should be [${xUnmasked.shape}]`);
    const m = this.maskTokensNum;
    if (posMasked.dim() !== 3 || posMasked.shape[0] !== n || posMasked.shape[1] !== m || posMasked.shape[2] !== c)
      throw new RangeError(
        `CAENeck: posMasked [${posMasked.shape}] should be [${n}, ${m}, ${c}]: each image must mask maskTokensNum (${m}) patches`,
      );
    return torch.tidy(() => {
      let x = this.mask_token.expand(n, m, -1);
      const posAll = torch.cat([posUnmasked, posMasked], 1);
      for (const r of this.regressors) x = r.forward(x, torch.cat([xUnmasked, x], 1), posMasked, posAll);
      const latentPred = this.norm_regressor.forward(x);
      let y = latentPred.add(posMasked);
      for (const d of this.decoders) y = d.forward(y);
      return [this.head.forward(this.norm_decoder.forward(y)), latentPred];
    });
  }
}

export const caeNeckPart = definePart({
  registry: NECKS,
  name: 'CAENeck',
  schema: caeNeckSchema,
  description: "CAE's latent regressor (cross-attention from mask tokens to visible tokens) and token decoder",
  build: (o) => new CAENeck(o),
});
