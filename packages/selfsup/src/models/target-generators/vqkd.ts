/**
 * BEiT v2's tokenizer (Peng et al. 2022, "BEiT v2: Masked Image Modeling with Vector-Quantized
 * Visual Tokenizers", arXiv:2208.06366), MMSelfSup's `VQKD` target generator: the encoder half of
 * the vector-quantised knowledge-distillation tokenizer. A ViT (BEiT blocks with q/v biases, an
 * absolute position embedding, no relative bias, no layer scale, final norm) encodes the image; its
 * patch tokens `(N, L, C)` go through the task layer Linear(C, C)–Tanh–Linear(C, D), are
 * L2-normalised and quantised to the nearest codebook entry (MMSelfSup's `NormEMAVectorQuantizer`:
 * argmin over the codebook of ‖z‖² + ‖e‖² − 2 z·e; the codebook is used as stored).
 *
 * Input `(N, 3, H, W)` images normalised as the tokenizer expects (the second view); output the ids
 * `(N, L)` int64. Frozen. Keys are the official release's (`encoder.blocks.0.attn.q_bias`, …,
 * `encode_task_layer.0.weight`, `quantize.embedding.weight`); MMSelfSup's `encoder.layers.*` keys
 * are converted; the decoder and the quantiser's EMA statistics in the file are ignored.
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { posInt, z } from '../../core/schema.js';
import { BEiTViT, type BEiTViTOptions, beitVitSchema, convertMMBEiTKeys } from '../backbones/beit-vit.js';
import { TARGET_GENERATORS } from '../registries.js';
import { loadTokenizerWeights } from './tokenizer-weights.js';

const { F } = torch;

/** The L2-normalised codebook lookup of MMSelfSup's `NormEMAVectorQuantizer` (ids only). */
export class NormEMAVectorQuantizer extends nn.Module<[Tensor], Tensor> {
  readonly embedding: nn.Embedding;

  constructor(numEmbed: number, embedDims: number) {
    super();
    this.embedding = this.registerModule('embedding', new nn.Embedding(numEmbed, embedDims));
    // A random codebook is normalised as the quantiser's non-k-means init makes it.
    torch.noGrad(() => this.embedding.weight.copy_(F.normalize(this.embedding.weight, { dim: -1 })));
  }

  /** `z (N, L, D)` → nearest codebook ids `(N, L)` int64, after L2-normalising z. */
  forward(z: Tensor): Tensor {
    return torch.tidy(() => {
      const [n, l, d] = z.shape;
      const flat = F.normalize(z, { dim: -1 }).reshape(n * l, d);
      const w = this.embedding.weight;
      const dist = flat.pow(2).sum(1, { keepdim: true }).add(w.pow(2).sum(1)).sub(flat.matmul(w.t()).mul(2));
      return dist.argmin(1).reshape(n, l);
    });
  }
}

/** The encoder's options: any `BEiTViT` option (defaults: VQ-KD's ViT-B/16 encoder, below). */
const encoderSchema = beitVitSchema.omit({ outType: true, outIndices: true, maskToken: true });

/** `VQKD` options (everything but `type`); defaults are MMSelfSup's (official VQ-KD ViT-B/16, 8192 × 32). */
export const vqkdSchema = z.strictObject({
  /** The path of the tokenizer's weights (`.pth`; MMSelfSup's `init_cfg.checkpoint`). */
  tokenizerPath: z.string({ error: 'expected the path of the VQ-KD tokenizer weights (.pth)' }),
  /** The encoder ViT (MMSelfSup's `encoder_config`). */
  encoderConfig: encoderSchema.optional(),
  /** Codebook size. Default 8192. */
  numEmbed: posInt().optional(),
  /** Codebook vector width. Default 32. */
  embedDims: posInt().optional(),
});
export type VQKDOptions = Omit<z.input<typeof vqkdSchema>, 'tokenizerPath'>;

/** VQ-KD's encoder defaults (MMSelfSup's `vqkd_encoder`). */
const ENCODER_DEFAULTS: BEiTViTOptions = {
  absPosEmbed: true,
  relPosBias: false,
  sharedRelPosBias: false,
  layerScaleInit: 0,
  finalNorm: true,
};

export class VQKD extends nn.Module<[Tensor], Tensor> {
  readonly encoder: BEiTViT;
  readonly encode_task_layer: nn.Sequential;
  readonly quantize: NormEMAVectorQuantizer;

  /** Randomly initialised; `vqkdPart` loads the released weights. */
  constructor(o: VQKDOptions = {}) {
    super();
    this.encoder = this.registerModule(
      'encoder',
      new BEiTViT({ ...ENCODER_DEFAULTS, ...o.encoderConfig, outType: 'featmap', outIndices: [-1], maskToken: false }),
    );
    const c = this.encoder.embedDim;
    const d = o.embedDims ?? 32;
    this.encode_task_layer = this.registerModule(
      'encode_task_layer',
      new nn.Sequential(new nn.Linear(c, c), new nn.Tanh(), new nn.Linear(c, d)),
    );
    this.quantize = this.registerModule('quantize', new NormEMAVectorQuantizer(o.numEmbed ?? 8192, d));
    this.eval().requiresGrad_(false);
  }

  /** `(N, 3, H, W)` → codebook ids `(N, L)` int64 (L the encoder's patch count). */
  forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      const [map] = this.encoder.forward(x);
      const [n, c] = map.shape;
      const feats = map.reshape(n, c, -1).transpose(1, 2);
      return this.quantize.forward(this.encode_task_layer.forward(feats) as Tensor);
    });
  }
}

/** MMSelfSup's VQKD keys (`encoder.layers.*`, `encoder.ln1.*`) → ours; others unchanged. */
export function convertMMVQKDKeys<T>(sd: Record<string, T>): Record<string, T> {
  const enc: Record<string, T> = {};
  const out: Record<string, T> = {};
  for (const [k, v] of Object.entries(sd)) {
    if (k.startsWith('encoder.')) enc[k.slice('encoder.'.length)] = v;
    else out[k] = v;
  }
  for (const [k, v] of Object.entries(convertMMBEiTKeys(enc))) out[`encoder.${k}`] = v;
  return out;
}

/** `VQKD`: the frozen VQ-KD tokenizer with its weights read from `tokenizerPath`. */
export const vqkdPart = definePart({
  registry: TARGET_GENERATORS,
  name: 'VQKD',
  schema: vqkdSchema,
  description: "BEiT v2's tokenizer: VQ-KD ViT encoder + normalised codebook (weights from tokenizerPath), ids per patch",
  build: (o, path) => {
    const { tokenizerPath, ...rest } = o;
    const vqkd = new VQKD(rest);
    loadTokenizerWeights(vqkd, tokenizerPath, {
      who: 'VQKD',
      key: `${path}.tokenizerPath`,
      expected:
        "the VQ-KD tokenizer's state dict (the official vqkd_encoder_base_decoder_3x768x12_clip or an MMSelfSup vqkd_encoder.pth)",
      adapt: convertMMVQKDKeys,
    });
    return vqkd;
  },
});
