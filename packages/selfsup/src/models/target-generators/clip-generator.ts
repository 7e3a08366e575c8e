/**
 * The CLIP teacher of EVA and MILAN, MMSelfSup's `CLIPGenerator`: the image encoder of CLIP
 * (Radford et al. 2021, "Learning Transferable Visual Models From Natural Language Supervision",
 * arXiv:2103.00020), a ViT in OpenAI's layout, gives every token's feature (its last block's output
 * through `ln_post` and the `proj` matrix) and the last block's attention map averaged over heads.
 * EVA regresses the patch features; MILAN regresses all of them and keeps the patches its class
 * token attends to most.
 *
 * The teacher is frozen (no gradient, its weights never trained) and its weights come from the
 * `.pth` at `tokenizerPath` (MMSelfSup's `tokenizer_path`): OpenAI's CLIP state dict (`visual.*`
 * keys; the text tower's keys are ignored), converted as docs/algorithms.md says. As in MMSelfSup it
 * sees the algorithm's preprocessed images (ImageNet statistics, not CLIP's own).
 *
 * A checkpoint made for another input size (the release is 224 px) loads into a teacher of any
 * `imgSize` that its patches divide: the position table is resized bicubically to the new grid,
 * the class row kept (the CPU-sized CIFAR-10 recipes run the ViT-B/16 release at 64 px).
 *
 * Shapes: images `(N, 3, H, W)` at the teacher's `imgSize` → features `(N, 1 + L, outputDim)` and
 * attention `(N, 1 + L, 1 + L)` (class token first, L = (H/p)·(W/p)). State-dict keys are MMSelfSup's
 * (`tokenizer.visual.conv1.weight`, `…transformer.resblocks.0.attn.in_proj_weight`, `…ln_post.*`,
 * `…proj`), so MMSelfSup checkpoints' teacher keys line up.
 */
import { existsSync } from 'node:fs';
import * as torch from '@selfsup/torch';
import { nn, type StateValue, type Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { ConfigError, posInt, str, z } from '../../core/schema.js';
import { unwrapStateDict } from '../backbones/load.js';
import { resizePosEmbed } from '../backbones/pos-embed.js';
import { TARGET_GENERATORS } from '../registries.js';

/** `CLIPGenerator` options (everything but `type`); the architecture defaults are CLIP ViT-B/16's. */
export const clipGeneratorSchema = z.strictObject({
  /** The teacher's weights: OpenAI's CLIP state dict saved as `.pth` (MMSelfSup's `tokenizer_path`). */
  tokenizerPath: str(),
  /** Input size of the position table (CLIP ViT-B/16: 224). */
  imgSize: posInt().optional(),
  /** Default 16. */
  patchSize: posInt().optional(),
  /** Width of the encoder (CLIP's `vision_width`). Default 768. */
  embedDim: posInt().optional(),
  /** Residual attention blocks. Default 12. */
  depth: posInt().optional(),
  /** Default `embedDim / 64`, as CLIP derives it. */
  numHeads: posInt().optional(),
  /** Width of the projected features (CLIP's joint embedding size). Default 512. */
  outputDim: posInt().optional(),
});
export type CLIPGeneratorOptions = z.input<typeof clipGeneratorSchema>;

/** CLIP's activation: x·σ(1.702x). */
function quickGelu(x: Tensor): Tensor {
  return torch.tidy(() => x.mul(x.mul(1.702).sigmoid()));
}

/** CLIP's MLP: `c_fc` → QuickGELU → `c_proj`. */
class CLIPMlp extends nn.Module<[Tensor], Tensor> {
  readonly cFc: nn.Linear;
  readonly cProj: nn.Linear;

  constructor(dim: number) {
    super();
    this.cFc = this.registerModule('c_fc', new nn.Linear(dim, 4 * dim));
    this.cProj = this.registerModule('c_proj', new nn.Linear(4 * dim, dim));
  }

  forward(x: Tensor): Tensor {
    return torch.tidy(() => this.cProj.forward(quickGelu(this.cFc.forward(x))));
  }
}

/** CLIP's pre-norm `ResidualAttentionBlock` on `(N, L, D)`; returns the head-averaged attention `(N, L, L)` too. */
class CLIPBlock extends nn.Module<[Tensor], { x: Tensor; attention: Tensor }> {
  readonly ln1: nn.LayerNorm;
  readonly attn: nn.MultiheadAttention;
  readonly ln2: nn.LayerNorm;
  readonly mlp: CLIPMlp;

  constructor(dim: number, heads: number) {
    super();
    // CLIP's LayerNorms use PyTorch's default epsilon.
    this.ln1 = this.registerModule('ln_1', new nn.LayerNorm(dim, { eps: 1e-5 }));
    this.attn = this.registerModule('attn', new nn.MultiheadAttention(dim, heads, { batchFirst: true }));
    this.ln2 = this.registerModule('ln_2', new nn.LayerNorm(dim, { eps: 1e-5 }));
    this.mlp = this.registerModule('mlp', new CLIPMlp(dim));
  }

  forward(x: Tensor): { x: Tensor; attention: Tensor } {
    return torch.tidy(() => {
      const h = this.ln1.forward(x);
      const [a, attention] = this.attn.forward(h, h, h, { needWeights: true });
      const y = x.add(a);
      return { x: y.add(this.mlp.forward(this.ln2.forward(y))), attention: attention as Tensor };
    });
  }
}

/** CLIP's `Transformer`: the blocks in order; the attention map is the last block's. */
class CLIPTransformer extends nn.Module<[Tensor], { x: Tensor; attention: Tensor }> {
  readonly resblocks: nn.ModuleList<CLIPBlock>;

  constructor(dim: number, depth: number, heads: number) {
    super();
    const blocks: CLIPBlock[] = [];
    for (let i = 0; i < depth; i++) blocks.push(new CLIPBlock(dim, heads));
    this.resblocks = this.registerModule('resblocks', new nn.ModuleList(blocks));
  }

  forward(x: Tensor): { x: Tensor; attention: Tensor } {
    return torch.tidy(() => {
      let out = this.resblocks.at(0).forward(x);
      for (let i = 1; i < this.resblocks.length; i++) out = this.resblocks.at(i).forward(out.x);
      return out;
    });
  }
}

/** CLIP's `VisionTransformer` (OpenAI's keys): `(N, 3, H, W)` → projected token features and the last attention map. */
export class CLIPVisionTransformer extends nn.Module<[Tensor], { features: Tensor; attention: Tensor }> {
  readonly conv1: nn.Conv2d;
  readonly classEmbedding: Tensor;
  readonly positionalEmbedding: Tensor;
  readonly lnPre: nn.LayerNorm;
  readonly transformer: CLIPTransformer;
  readonly lnPost: nn.LayerNorm;
  readonly proj: Tensor;

  constructor(
    readonly imgSize: number,
    readonly patchSize: number,
    readonly embedDim: number,
    depth: number,
    heads: number,
    readonly outputDim: number,
  ) {
    super();
    if (imgSize % patchSize !== 0)
      throw new RangeError(`CLIPGenerator: imgSize ${imgSize} is not a multiple of patchSize ${patchSize}`);
    const d = embedDim;
    const tokens = (imgSize / patchSize) ** 2 + 1;
    this.conv1 = this.registerModule('conv1', new nn.Conv2d(3, d, patchSize, { stride: patchSize, bias: false }));
    // Zeros: every weight comes from the user's checkpoint, which must hold every key.
    this.classEmbedding = this.registerParameter('class_embedding', torch.zeros([d]));
    this.positionalEmbedding = this.registerParameter('positional_embedding', torch.zeros([tokens, d]));
    this.lnPre = this.registerModule('ln_pre', new nn.LayerNorm(d, { eps: 1e-5 }));
    if (depth < 1) throw new RangeError('CLIPGenerator: depth must be at least 1');
    this.transformer = this.registerModule('transformer', new CLIPTransformer(d, depth, heads));
    this.lnPost = this.registerModule('ln_post', new nn.LayerNorm(d, { eps: 1e-5 }));
    this.proj = this.registerParameter('proj', torch.zeros([d, outputDim]));
  }

  /** Tokens of the patch grid plus the class token. */
  get numTokens(): number {
    return this.positionalEmbedding.shape[0];
  }

  forward(x: Tensor): { features: Tensor; attention: Tensor } {
    const [n, c, h, w] = x.shape;
    if (x.dim() !== 4 || c !== 3 || h !== this.imgSize || w !== this.imgSize)
      throw new RangeError(
        `CLIPGenerator: expected (N, 3, ${this.imgSize}, ${this.imgSize}) images (the teacher's imgSize), got [${x.shape}]`,
      );
    return torch.tidy(() => {
      const patches = this.conv1.forward(x).flatten(2).transpose(1, 2);
      const cls = this.classEmbedding.reshape(1, 1, -1).expand(n, 1, this.embedDim);
      const t = this.lnPre.forward(torch.cat([cls, patches], 1).add(this.positionalEmbedding));
      const { x: out, attention } = this.transformer.forward(t);
      return { features: this.lnPost.forward(out).matmul(this.proj), attention };
    });
  }
}

/** Holds the image tower as `visual` (MMSelfSup's `tokenizer` is the whole CLIP; only its `visual` is used). */
class CLIPImageTower extends nn.Module<[Tensor], { features: Tensor; attention: Tensor }> {
  constructor(readonly visual: CLIPVisionTransformer) {
    super();
    this.registerModule('visual', visual);
  }

  forward(x: Tensor): { features: Tensor; attention: Tensor } {
    return this.visual.forward(x);
  }
}

/** The frozen CLIP teacher: preprocessed images `(N, 3, H, W)` → `{ features (N, 1 + L, D'), attention (N, 1 + L, 1 + L) }`. */
export class CLIPGenerator extends nn.Module<[Tensor], { features: Tensor; attention: Tensor }> {
  readonly visual: CLIPVisionTransformer;
  readonly tokenizerPath: string;

  /** Builds the teacher and loads its weights from `o.tokenizerPath`; `path` is where the config sits (for errors). */
  constructor(o: CLIPGeneratorOptions, path = 'targetGenerator') {
    super();
    // Before building anything (a ViT-B is 86 M weights): is the teacher there at all?
    if (!existsSync(o.tokenizerPath))
      throw new ConfigError(
        `${path}.tokenizerPath`,
        `no teacher checkpoint at '${o.tokenizerPath}': expected OpenAI's CLIP state dict (a CLIP ViT-B/16 for the ImageNet recipes) saved with torch.save (see docs/algorithms.md, "CLIP teacher")`,
      );
    const embedDim = o.embedDim ?? 768;
    const numHeads = o.numHeads ?? Math.max(1, Math.floor(embedDim / 64));
    if (embedDim % numHeads !== 0)
      throw new RangeError(`CLIPGenerator: embedDim ${embedDim} is not divisible by numHeads ${numHeads}`);
    this.visual = new CLIPVisionTransformer(
      o.imgSize ?? 224,
      o.patchSize ?? 16,
      embedDim,
      o.depth ?? 12,
      numHeads,
      o.outputDim ?? 512,
    );
    this.registerModule('tokenizer', new CLIPImageTower(this.visual));
    this.tokenizerPath = o.tokenizerPath;
    this.loadTeacher(o.tokenizerPath, `${path}.tokenizerPath`);
    // Frozen; its mode does not matter (no dropout or batch norm), its gradient is never taken.
    this.requiresGrad_(false);
    this.eval();
  }

  /** Loads OpenAI's CLIP state dict (`visual.*` keys, or the image tower's own) from a `.pth`. */
  private loadTeacher(file: string, key: string): void {
    const v = this.visual;
    const expected =
      `OpenAI's CLIP state dict (a CLIP ViT-B/16 for the ImageNet recipes; here ${v.embedDim} wide, ` +
      `${v.transformer.resblocks.length} blocks, ${v.patchSize}-px patches at ${v.imgSize} px, ${v.outputDim}-d projection) ` +
      'saved with torch.save (see docs/algorithms.md, "CLIP teacher")';
    let ckpt: StateValue;
    try {
      ckpt = torch.load(file);
    } catch (e) {
      throw new ConfigError(key, `cannot read '${file}' (${(e as Error).message}): expected ${expected}`);
    }
    const all = unwrapStateDict(ckpt, '');
    const visual = Object.keys(all).some((k) => k.startsWith('visual.'))
      ? Object.fromEntries(
          Object.entries(all)
            .filter(([k]) => k.startsWith('visual.'))
            .map(([k, t]) => [k.slice('visual.'.length), t]),
        )
      : all;
    // Kept to free: the resized table replaces it in `visual` (which may be `all` itself).
    const table = visual.positional_embedding as Tensor | undefined;
    try {
      // A teacher at another input size than the release's (CLIP ViT-B/16 is 224 px: a 14 × 14 grid)
      // gets the position table resized to its grid, as a ViT is evaluated at a new resolution.
      if (table && table.dim() === 2 && table.shape[1] === v.embedDim && table.shape[0] !== v.numTokens) {
        const side = Math.round(Math.sqrt(table.shape[0] - 1));
        const grid = v.imgSize / v.patchSize;
        if (side * side !== table.shape[0] - 1)
          throw new ConfigError(key, `'${file}': positional_embedding has ${table.shape[0]} rows, not 1 + a square grid`);
        visual.positional_embedding = torch.tidy(() =>
          resizePosEmbed(table.unsqueeze(0), [side, side], [grid, grid], { numPrefixTokens: 1, mode: 'bicubic' }).squeeze(0),
        );
      }
      v.loadStateDict(visual, { strict: true });
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      throw new ConfigError(key, `'${file}' does not fit the teacher: ${(e as Error).message}; expected ${expected}`);
    } finally {
      for (const t of new Set([...Object.values(all), ...Object.values(visual), ...(table ? [table] : [])])) t.dispose();
    }
  }

  /** Features of every token and the head-averaged last attention map, without gradient. */
  forward(images: Tensor): { features: Tensor; attention: Tensor } {
    return torch.noGrad(() => this.visual.forward(images.detach()));
  }

  override extraRepr(): string {
    return `tokenizer_path=${this.tokenizerPath}`;
  }
}

/** `CLIPGenerator` in TARGET_GENERATORS. */
export const clipGeneratorPart = definePart({
  registry: TARGET_GENERATORS,
  name: 'CLIPGenerator',
  schema: clipGeneratorSchema,
  description: "CLIP's image encoder as a frozen teacher: token features and last attention (EVA, MILAN)",
  build: (o, path) => new CLIPGenerator(o, path),
});
