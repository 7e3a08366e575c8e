/**
 * The interface every backbone implements (timm's uniform backbone API with MMSelfSup's stage
 * options). Images are `(N, C, H, W)`.
 */
import { nn, type Tensor } from '@selfsup/torch';
import { bool, int, intList, type z } from '../../core/schema.js';

/** Options every backbone takes (MMSelfSup's stage options), as a zod shape to spread into a backbone's schema. */
export const backboneShape = {
  /** Stages whose outputs `forward` returns (MMSelfSup's `out_indices`; negative counts from the end). */
  outIndices: intList().optional(),
  /** Stages 0..frozenStages-1 (and the stem) are frozen: no grad, eval mode. -1 freezes nothing. */
  frozenStages: int().min(-1, 'expected -1 or a stage count').optional(),
  /** Keep every norm layer in eval mode while training (frozen statistics). */
  normEval: bool().optional(),
};

export type BackboneOptions = z.input<z.ZodObject<typeof backboneShape>>;

export abstract class Backbone extends nn.Module<[Tensor], Tensor[]> {
  /** Channels (CNN) or embedding size (transformer) of the last stage's output. */
  abstract readonly numFeatures: number;
  /** Channels of each stage's output, in stage order. */
  abstract readonly stageChannels: number[];

  /** Outputs of the stages listed in `outIndices`, in order. */
  abstract override forward(x: Tensor): Tensor[];

  /** The last stage's feature map (CNN `(N, C, h, w)`) or tokens (ViT `(N, 1+L, C)`), before pooling. */
  abstract forwardFeatures(x: Tensor): Tensor;

  /**
   * Maps another library's names for this backbone's weights to its own (MMSelfSup/mmcls ViT keys,
   * a timm classifier), after wrappers and prefixes are removed; default: unchanged.
   */
  adaptStateDict<T>(sd: Record<string, T>): Record<string, T> {
    return sd;
  }

  /** Re-initialises weights with the family's scheme (what a fresh backbone has). */
  abstract initWeights(): void;

  /** Applies `frozenStages` and `normEval` after `train()` switched modes. */
  protected abstract applyFreezing(): void;

  override train(mode = true): this {
    super.train(mode);
    if (mode) this.applyFreezing();
    return this;
  }
}

/** Normalises negative stage indices and checks they exist. */
export function resolveOutIndices(indices: number[], numStages: number, family: string): number[] {
  return indices.map((i) => {
    const r = i < 0 ? numStages + i : i;
    if (r < 0 || r >= numStages) throw new RangeError(`${family}: out index ${i} out of range for ${numStages} stages`);
    return r;
  });
}
