/**
 * MMSelfSup's `SimMIMLinearDecoder`, the one-layer prediction head of SimMIM (Xie et al. 2022,
 * "SimMIM: A Simple Framework for Masked Image Modeling", arXiv:2111.09886): a 1×1 convolution from
 * the encoder's last feature map to `encoderStride² · targetChannels` channels, then a pixel shuffle
 * by `encoderStride`, so each feature-map cell predicts the `encoderStride × encoderStride` pixels it
 * covers.
 *
 * Input `[(N, inChannels, h, w)]` (the backbone's one output); output `[(N, targetChannels,
 * h·encoderStride, w·encoderStride)]`, the reconstructed (normalised) image. State-dict keys
 * `decoder.0.weight`, `decoder.0.bias` (the convolution; the pixel shuffle has none), as MMSelfSup's.
 */
import { nn, type Tensor, tidy } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { posInt, z } from '../../core/schema.js';
import { NECKS } from '../registries.js';

/** `SimMIMLinearDecoder` options (everything but `type`). */
export const simmimLinearDecoderSchema = z.strictObject({
  /** Channels of the encoder's output map (Swin-B: 1024, ViT-B: 768). */
  inChannels: posInt(),
  /** The encoder's total stride, pixels per feature-map cell (Swin: 32, ViT-B/16: 16). */
  encoderStride: posInt(),
  /** Channels of the image to reconstruct. Default 3 (RGB). */
  targetChannels: posInt().optional(),
});

export type SimMIMLinearDecoderOptions = z.input<typeof simmimLinearDecoderSchema>;

/** 1×1 conv → pixel shuffle: `[(N, C, h, w)]` → `[(N, targetChannels, h·s, w·s)]`. */
export class SimMIMLinearDecoder extends nn.Module<[Tensor[]], Tensor[]> {
  readonly inChannels: number;
  readonly encoderStride: number;
  readonly targetChannels: number;
  /** `decoder.0` (the convolution; the pixel shuffle has no parameters). */
  readonly conv: nn.Conv2d;
  readonly decoder: nn.Sequential;

  constructor(o: SimMIMLinearDecoderOptions) {
    super();
    this.inChannels = o.inChannels;
    this.encoderStride = o.encoderStride;
    this.targetChannels = o.targetChannels ?? 3;
    const s = this.encoderStride;
    this.conv = new nn.Conv2d(this.inChannels, s * s * this.targetChannels, 1);
    this.decoder = this.registerModule('decoder', new nn.Sequential(this.conv, new nn.PixelShuffle(s)));
  }

  /** The backbone's one `(N, inChannels, h, w)` map → the `(N, targetChannels, h·s, w·s)` reconstruction. */
  forward(x: Tensor[]): Tensor[] {
    if (x.length !== 1) throw new RangeError(`SimMIMLinearDecoder: expected one backbone output, got ${x.length}`);
    const [feat] = x;
    if (feat.dim() !== 4 || feat.shape[1] !== this.inChannels)
      throw new RangeError(
        `SimMIMLinearDecoder: expected a (N, ${this.inChannels}, h, w) feature map (inChannels), got [${feat.shape}]`,
      );
    return tidy(() => [this.decoder.forward(feat)]);
  }

  override extraRepr(): string {
    return `in_channels=${this.inChannels}, encoder_stride=${this.encoderStride}, target_channels=${this.targetChannels}`;
  }
}

/** `SimMIMLinearDecoder` in NECKS. */
export const simmimLinearDecoderPart = definePart({
  registry: NECKS,
  name: 'SimMIMLinearDecoder',
  schema: simmimLinearDecoderSchema,
  description: "SimMIM's decoder: 1×1 conv to stride²·3 channels, then pixel shuffle back to image size",
  build: (o) => new SimMIMLinearDecoder(o),
});
