/**
 * RotationPred (Gidaris et al. 2018, "Unsupervised Representation Learning by Predicting Image
 * Rotations", arXiv:1803.07728), as MMSelfSup 1.x's `RotationPred`: each image comes as its four
 * rotations (the `RotationWithLabels` pipeline step: view k turned k quarter turns, label k), all
 * 4N go through the backbone in one batch (MMSelfSup's `RotationPredDataPreprocessor` stacks them
 * sample-major, so BN sees 4N images), and a `ClsHead` (4 classes, average-pooled, cross entropy)
 * classifies the rotation. No neck. Views are `(N, C, H, W)`.
 *
 * State-dict keys: `backbone.*`, `head.fc_cls.*`.
 */
import * as torch from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { typed, z } from '../../core/schema.js';
import type { HeadConfig } from '../../part-configs.js';
import { ClsHead } from '../heads/cls-head.js';
import { ALGORITHMS, HEADS } from '../registries.js';
import { Algorithm, type AlgorithmInput, algorithmShape, type LossOutput } from './base.js';
import { checkPretextViews, positionLabels, stackSampleMajor, top1 } from './pretext.js';

/** `RotationPred` options (everything but `type`): the head is a ClsHead with 4 classes (MMSelfSup: withAvgPool, 2048 in). */
export const rotationPredSchema = z.strictObject({
  ...algorithmShape,
  head: typed<HeadConfig>(),
});
export type RotationPredOptions = z.input<typeof rotationPredSchema>;

/** Rotations the views carry. */
const TURNS = 4;

export class RotationPred extends Algorithm {
  readonly head: ClsHead;

  constructor(o: RotationPredOptions, path = 'model') {
    super(o, path);
    this.head = this.registerModule('head', HEADS.buildAs(o.head, `${path}.head`, ClsHead, 'RotationPred'));
    if (this.head.numClasses !== TURNS)
      throw new RangeError(
        `RotationPred: ${path}.head.numClasses must be ${TURNS} (one class per rotation), got ${this.head.numClasses}`,
      );
  }

  /** Cross entropy of the 4-way rotation classifier over all 4N rotated images. */
  loss(batch: AlgorithmInput): LossOutput {
    checkPretextViews(batch.views, TURNS, 'RotationPred', 'RotationWithLabels');
    return torch.tidy(() => {
      const n = batch.views[0].shape[0];
      const x = this.preprocess(stackSampleMajor(batch.views));
      const labels = positionLabels(n, TURNS, x.device);
      const [scores] = this.head.logits(this.backbone.forward(x));
      const loss = this.head.loss.forward(scores, labels);
      return { loss, logs: { acc_rot: top1(scores, labels) } };
    });
  }
}

export const rotationPredPart = definePart({
  registry: ALGORITHMS,
  name: 'RotationPred',
  schema: rotationPredSchema,
  description: 'RotationPred: classify which of 4 quarter turns each image was given',
  build: (o, path) => new RotationPred(o, path),
});
