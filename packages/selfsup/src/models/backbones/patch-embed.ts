/**
 * Patch embedding shared by the transformer backbones: a `patch × patch` convolution with stride
 * `patch` turns `(N, C, H, W)` images into `(N, h·w, D)` tokens (row-major over the `h × w` grid),
 * optionally followed by a LayerNorm (Swin). Images whose size is not a multiple of the patch
 * are zero-padded at the bottom and right first (mmcv's `AdaptivePadding`, `padding='corner'`).
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';

const { F } = torch;

export type Pair = number | [number, number];
export const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);

export interface PatchEmbedOptions {
  inChannels?: number;
  /** Name of the convolution in the state dict: timm's `proj` or mmcv's `projection`. */
  projName?: 'proj' | 'projection';
  /** LayerNorm over the embedding after projecting (key `norm`), with this eps. */
  norm?: { eps?: number } | null;
  bias?: boolean;
}

export class PatchEmbed extends nn.Module<[Tensor], { tokens: Tensor; hw: [number, number] }> {
  readonly proj: nn.Conv2d;
  readonly norm: nn.LayerNorm | null;
  readonly patchSize: [number, number];
  readonly gridSize: [number, number];

  constructor(
    imgSize: Pair,
    patchSize: Pair,
    readonly embedDim: number,
    o: PatchEmbedOptions = {},
  ) {
    super();
    this.patchSize = pair(patchSize);
    const img = pair(imgSize);
    this.gridSize = [Math.ceil(img[0] / this.patchSize[0]), Math.ceil(img[1] / this.patchSize[1])];
    this.proj = this.registerModule(
      o.projName ?? 'proj',
      new nn.Conv2d(o.inChannels ?? 3, embedDim, this.patchSize, { stride: this.patchSize, bias: o.bias ?? true }),
    );
    this.norm = o.norm ? this.registerModule('norm', new nn.LayerNorm(embedDim, { eps: o.norm.eps ?? 1e-5 })) : null;
  }

  /** The token grid of an `h × w` image. */
  grid(h: number, w: number): [number, number] {
    return [Math.ceil(h / this.patchSize[0]), Math.ceil(w / this.patchSize[1])];
  }

  forward(x: Tensor): { tokens: Tensor; hw: [number, number] } {
    if (x.dim() !== 4) throw new RangeError(`PatchEmbed: expected (N, C, H, W) images, got shape [${x.shape}]`);
    const [, , h, w] = x.shape;
    const hw = this.grid(h, w);
    const tokens = torch.tidy(() => {
      const padB = hw[0] * this.patchSize[0] - h;
      const padR = hw[1] * this.patchSize[1] - w;
      const input = padB || padR ? F.pad(x, [0, padR, 0, padB]) : x;
      const t = this.proj.forward(input).flatten(2).transpose(1, 2);
      return this.norm ? this.norm.forward(t) : t;
    });
    return { tokens, hw };
  }
}
