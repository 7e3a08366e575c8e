/**
 * RelativeLoc (Doersch et al. 2015, "Unsupervised Visual Representation Learning by Context
 * Prediction", arXiv:1505.05192), as MMSelfSup 1.x's `RelativeLoc`: each image comes as the nine
 * patches of a 3×3 grid (the `RandomPatchWithLabels` pipeline step: view 0 the centre patch, view
 * k + 1 the neighbour in row-major position k, label k). As MMSelfSup's `RelativeLocDataPreprocessor`
 * packs them, the 8N neighbours (sample-major) form one backbone batch and the centre patch repeated
 * 8 times another (two forwards, so each has its own BN statistics); the backbone's first output of
 * each is concatenated along channels, `RelativeLocNeck` (fc-BN-ReLU-dropout) and an 8-way
 * `ClsHead` classify where the neighbour lies. Views are `(N, C, h, w)` patches.
 *
 * State-dict keys: `backbone.*`, `neck.fc.*`, `neck.bn.*`, `head.fc_cls.*`.
 */
import * as torch from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { z } from '../../core/schema.js';
import { ClsHead } from '../heads/cls-head.js';
import { ALGORITHMS } from '../registries.js';
import { type AlgorithmInput, BaseModel, baseModelShape, type LossOutput } from './base.js';
import { checkPretextViews, positionLabels, stackSampleMajor, top1 } from './pretext.js';

/**
 * `RelativeLoc` options (everything but `type`): the neck is a RelativeLocNeck (MMSelfSup: 2048 →
 * 4096), the head a ClsHead with 8 classes and no pooling.
 */
export const relativeLocSchema = z.strictObject(baseModelShape);
export type RelativeLocOptions = z.input<typeof relativeLocSchema>;

/** Neighbours of the centre patch in a 3×3 grid. */
const NEIGHBOURS = 8;

export class RelativeLoc extends BaseModel<ClsHead> {
  constructor(o: RelativeLocOptions, path = 'model') {
    super(o, path, { head: ClsHead });
    if (this.head.numClasses !== NEIGHBOURS)
      throw new RangeError(
        `RelativeLoc: ${path}.head.numClasses must be ${NEIGHBOURS} (one class per neighbour position), got ${this.head.numClasses}`,
      );
  }

  /** Cross entropy of the 8-way position classifier over the 8N (neighbour, centre) pairs. */
  loss(batch: AlgorithmInput): LossOutput {
    checkPretextViews(batch.views, NEIGHBOURS + 1, 'RelativeLoc', 'RandomPatchWithLabels');
    return torch.tidy(() => {
      const [centre, ...neighbours] = batch.views;
      const n = centre.shape[0];
      const x1 = this.backbone.forward(this.preprocess(stackSampleMajor(neighbours)))[0];
      const x2 = this.backbone.forward(this.preprocess(stackSampleMajor(neighbours.map(() => centre))))[0];
      const [z] = this.neck.forward([torch.cat([x1, x2], 1)]);
      const labels = positionLabels(n, NEIGHBOURS, z.device);
      const [scores] = this.head.logits([z]);
      const loss = this.head.loss.forward(scores, labels);
      return { loss, logs: { acc_loc: top1(scores, labels) } };
    });
  }
}

export const relativeLocPart = definePart({
  registry: ALGORITHMS,
  name: 'RelativeLoc',
  schema: relativeLocSchema,
  description: 'RelativeLoc: classify where each of 8 neighbour patches lies relative to the centre patch',
  build: (o, path) => new RelativeLoc(o, path),
});
