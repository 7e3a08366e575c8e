/**
 * The DALL-E dVAE's encoder (Ramesh et al. 2021, "Zero-Shot Text-to-Image Generation",
 * arXiv:2102.12092; openai/DALL-E's `dall_e/encoder.py`), BEiT v1's tokenizer (Bao et al. 2022) as
 * MMSelfSup's `DALL-E` target generator: a 7×7 input convolution, four groups of residual blocks
 * (widths 1, 2, 4, 8 × `nHid`; 2×2 max-pool after the first three), ReLU and a 1×1 convolution to
 * `vocabSize` logits. Each block is id_path(x) + res_path(x)/n_layers², res_path = ReLU-conv3×3-
 * ReLU-conv3×3-ReLU-conv3×3-ReLU-conv1×1 at a quarter of the block's width, id_path a 1×1
 * convolution where the width changes.
 *
 * Input `(N, 3, H, W)` images mapped as the tokenizer expects (the second view, normalised by the
 * data preprocessor's `secondMean`/`secondStd`); output logits `(N, vocabSize, H/8, W/8)` (the ids
 * are their argmax, taken by `BEiTV1Head`). Frozen. Keys are OpenAI's (`blocks.input.w`,
 * `blocks.group_1.block_1.res_path.conv_1.w`, …, `blocks.output.conv.b`).
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { posInt, z } from '../../core/schema.js';
import { TARGET_GENERATORS } from '../registries.js';
import { loadTokenizerWeights } from './tokenizer-weights.js';

const { F } = torch;

/** OpenAI's `Conv2d`: weight `w` N(0, 1/(n_in·k²)), bias `b` zero, 'same' padding. */
export class DallEConv extends nn.Module<[Tensor], Tensor> {
  readonly w: Tensor;
  readonly b: Tensor;

  constructor(
    nIn: number,
    nOut: number,
    readonly kw: number,
  ) {
    super();
    this.w = this.registerParameter('w', torch.randn([nOut, nIn, kw, kw]).mul_({ float: 1 / Math.sqrt(nIn * kw * kw) }));
    this.b = this.registerParameter('b', torch.zeros([nOut]));
  }

  forward(x: Tensor): Tensor {
    return F.conv2d(x, this.w, this.b, { padding: (this.kw - 1) / 2 });
  }
}

/** OpenAI's `EncoderBlock`: id_path(x) + res_path(x) / nLayers². */
export class DallEBlock extends nn.Module<[Tensor], Tensor> {
  readonly id_path: DallEConv | null;
  readonly convs: DallEConv[];
  readonly postGain: number;

  constructor(nIn: number, nOut: number, nLayers: number) {
    super();
    if (nOut % 4 !== 0) throw new RangeError(`DALL-E: block width ${nOut} must be a multiple of 4`);
    const hid = nOut / 4;
    this.postGain = 1 / nLayers ** 2;
    this.id_path = nIn !== nOut ? this.registerModule('id_path', new DallEConv(nIn, nOut, 1)) : null;
    const res = new nn.ModuleDict();
    this.convs = [
      new DallEConv(nIn, hid, 3),
      new DallEConv(hid, hid, 3),
      new DallEConv(hid, hid, 3),
      new DallEConv(hid, nOut, 1),
    ];
    for (const [i, c] of this.convs.entries()) res.set(`conv_${i + 1}`, c);
    this.registerModule('res_path', res);
  }

  forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      let r = x;
      for (const c of this.convs) r = c.forward(F.relu(r));
      return (this.id_path ? this.id_path.forward(x) : x).add(r.mul(this.postGain));
    });
  }
}

/** `DALL-E` options (everything but `type`); defaults are OpenAI's released encoder. */
export const dallESchema = z.strictObject({
  /** The path of the encoder's weights (`.pth`; MMSelfSup's `init_cfg.checkpoint`). */
  tokenizerPath: z.string({ error: 'expected the path of the DALL-E encoder weights (.pth)' }),
  /** Width of the first group. Default 256. */
  nHid: posInt().optional(),
  nBlkPerGroup: posInt().optional(),
  inputChannels: posInt().optional(),
  /** Visual vocabulary. Default 8192. */
  vocabSize: posInt().optional(),
});
export type DallEOptions = Omit<z.input<typeof dallESchema>, 'tokenizerPath'>;

export class DallEEncoder extends nn.Module<[Tensor], Tensor> {
  readonly inputChannels: number;
  readonly vocabSize: number;
  private readonly stages: { block: nn.Module<[Tensor], Tensor>; pool: boolean }[] = [];
  readonly input: DallEConv;
  readonly output: DallEConv;

  /** Randomly initialised (as OpenAI's); `dallEPart` loads the released weights. */
  constructor(o: DallEOptions = {}) {
    super();
    const hid = o.nHid ?? 256;
    const per = o.nBlkPerGroup ?? 2;
    this.inputChannels = o.inputChannels ?? 3;
    this.vocabSize = o.vocabSize ?? 8192;
    const nLayers = 4 * per;
    // OpenAI's nested names: blocks.{input, group_g.block_i, output.conv}.
    const blocks = new nn.ModuleDict();
    this.input = new DallEConv(this.inputChannels, hid, 7);
    blocks.set('input', this.input);
    let width = hid;
    for (let g = 1; g <= 4; g++) {
      const group = new nn.ModuleDict();
      const out = hid * 2 ** (g - 1);
      for (let i = 1; i <= per; i++) {
        const block = new DallEBlock(width, out, nLayers);
        group.set(`block_${i}`, block);
        width = out;
        this.stages.push({ block, pool: g < 4 && i === per });
      }
      blocks.set(`group_${g}`, group);
    }
    this.output = new DallEConv(width, this.vocabSize, 1);
    blocks.set('output', new nn.ModuleDict({ conv: this.output }));
    this.registerModule('blocks', blocks);
    this.eval().requiresGrad_(false);
  }

  /** `(N, C, H, W)` (H, W multiples of 8) → logits `(N, vocabSize, H/8, W/8)`. */
  forward(x: Tensor): Tensor {
    if (x.dim() !== 4 || x.shape[1] !== this.inputChannels)
      throw new RangeError(`DALL-E: expected (N, ${this.inputChannels}, H, W) images, got [${x.shape}]`);
    if (x.shape[2] % 8 !== 0 || x.shape[3] % 8 !== 0)
      throw new RangeError(`DALL-E: image size ${x.shape[2]}x${x.shape[3]} must be a multiple of 8`);
    return torch.tidy(() => {
      let t = this.input.forward(x.isFloatingPoint() ? x : x.float());
      for (const { block, pool } of this.stages) {
        t = block.forward(t);
        if (pool) t = F.maxPool2d(t, 2);
      }
      return this.output.forward(F.relu(t));
    });
  }
}

/** `DALL-E`: the frozen DALL-E encoder with its weights read from `tokenizerPath`. */
export const dallEPart = definePart({
  registry: TARGET_GENERATORS,
  name: 'DALL-E',
  schema: dallESchema,
  description: "BEiT v1's tokenizer: OpenAI's DALL-E dVAE encoder (weights from tokenizerPath), logits per 8x8 patch",
  build: (o, path) => {
    const { tokenizerPath, ...rest } = o;
    const enc = new DallEEncoder(rest);
    loadTokenizerWeights(enc, tokenizerPath, {
      who: 'DALL-E',
      key: `${path}.tokenizerPath`,
      expected: "OpenAI's DALL-E encoder state dict (MMSelfSup's dalle_encoder.pth: blocks.input.w, …)",
    });
    return enc;
  },
});
