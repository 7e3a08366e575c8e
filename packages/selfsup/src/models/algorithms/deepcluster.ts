/**
 * DeepCluster (Caron et al. 2018, "Deep Clustering for Unsupervised Learning of Visual Features",
 * arXiv:1807.05520), as MMSelfSup's `DeepCluster`: a classifier (`ClsHead`) is trained on
 * pseudo-labels, the k-means clusters of the network's own features, which `DeepClusterHook`
 * recomputes every `interval` epochs over the whole dataset (re-initialising the classifier, whose
 * class indices change meaning). The pseudo-label of a sample is looked up by its dataset index
 * (`batch.idx`). With `withSobel` the normalised images first go through the fixed Sobel layer
 * (grey + image gradients: 2 channels, so the backbone has `inChannels: 2`).
 *
 * Loss: CE(head(neck(backbone(x))), pseudo-label), weighted per class by the `loss_weight` buffer
 * (uniform unless the hook re-weights, ∝ 1/|cluster|^p) as PyTorch's weighted mean. Images are
 * `(N, C, H, W)`; state-dict keys `backbone.*`, `neck.*`, `head.fc_cls.*`, `loss_weight` and, with
 * Sobel, `sobel_layer.sobel.{0,1}.*` (MMSelfSup's). The pseudo-labels are not in the state dict: the
 * hook keeps them in its own checkpoint state.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { bool, z } from '../../core/schema.js';
import { ClsHead } from '../heads/cls-head.js';
import { ALGORITHMS } from '../registries.js';
import { type AlgorithmInput, BaseModel, baseModelShape, type LossOutput, needViews } from './base.js';
import { type Sobel, sobelInput } from './sobel.js';

/** `DeepCluster` options (everything but `type`). */
export const deepClusterSchema = z.strictObject({
  ...baseModelShape,
  /** Feed the backbone Sobel gradients of the grey image (2 channels) instead of RGB. Default false. */
  withSobel: bool().optional(),
});
export type DeepClusterOptions = z.input<typeof deepClusterSchema>;

/** What `DeepClusterHook` needs of an algorithm (DeepCluster; clustering algorithms alike). */
export interface ClusteredAlgorithm {
  /** Number of clusters the classifier predicts. */
  readonly numClasses: number;
  /** uint8 (or float) images `(N, C, H, W)` → the `(N, D)` features to cluster. */
  clusteringFeatures(images: Tensor): Tensor;
  /** Sets the `(N)` int64 pseudo-label of every dataset index. */
  assignLabels(labels: Tensor): void;
  /** Class weights ∝ 1/|cluster|^pow (normalised to sum 1). */
  setReweight(labels: Tensor, pow: number): void;
  /** Re-initialises the classifier. */
  reinitHead(): void;
}

/** Whether `m` is a `ClusteredAlgorithm`. */
export function isClusteredAlgorithm(m: object): m is ClusteredAlgorithm {
  const r = m as Partial<Record<keyof ClusteredAlgorithm, unknown>>;
  return (
    typeof r.numClasses === 'number' &&
    typeof r.clusteringFeatures === 'function' &&
    typeof r.assignLabels === 'function' &&
    typeof r.setReweight === 'function' &&
    typeof r.reinitHead === 'function'
  );
}

export class DeepCluster extends BaseModel<ClsHead> implements ClusteredAlgorithm {
  readonly withSobel: boolean;
  readonly sobel_layer: Sobel | null;
  /** `(numClasses)` class weights of the loss (MMSelfSup's buffer; uniform 1/K until re-weighted). */
  readonly loss_weight: Tensor;
  private labels: Tensor | null = null;

  constructor(o: DeepClusterOptions, path = 'model') {
    super(o, path, { head: ClsHead });
    this.withSobel = o.withSobel ?? false;
    const sobel = sobelInput(this.withSobel, o.backbone, path, 'DeepCluster');
    this.sobel_layer = sobel ? this.registerModule('sobel_layer', sobel) : null;
    const k = this.head.numClasses;
    this.loss_weight = this.registerBuffer('loss_weight', torch.full([k], 1 / k));
  }

  get numClasses(): number {
    return this.head.numClasses;
  }

  /** The current pseudo-labels `(N)` int64 by dataset index, or null before the first clustering. */
  get pseudoLabels(): Tensor | null {
    return this.labels;
  }

  /** Backbone outputs of preprocessed images (through the Sobel layer when `withSobel`). */
  override extractFeat(images: Tensor): Tensor[] {
    return torch.tidy(() => this.backbone.forward(this.sobel_layer ? this.sobel_layer.forward(images) : images));
  }

  /** MMSelfSup's extractor: neck(backbone(x)) flattened, `(N, D)`, for raw images `(N, C, H, W)`. */
  clusteringFeatures(images: Tensor): Tensor {
    return torch.tidy(() =>
      this.neck.forward(this.extractFeat(this.preprocess(images.to({ device: this.loss_weight.device }))))[0].flatten(1),
    );
  }

  assignLabels(labels: Tensor): void {
    if (labels.dim() !== 1) throw new RangeError(`DeepCluster: pseudo-labels must be (N), got shape [${labels.shape}]`);
    const [lo, hi] = torch.tidy(() => [labels.min().item(), labels.max().item()]);
    if (lo < 0 || hi >= this.numClasses)
      throw new RangeError(`DeepCluster: pseudo-labels must be in [0, ${this.numClasses}), got [${lo}, ${hi}]`);
    const next = torch.keep(torch.tidy(() => labels.detach().to({ dtype: 'int64', device: 'cpu' }).clone()));
    this.labels?.dispose();
    this.labels = next;
  }

  /** MMSelfSup's `set_reweight`: w_c ∝ (|c| + 1e−10)^−pow, normalised to sum 1, into `loss_weight`. */
  setReweight(labels: Tensor, pow: number): void {
    torch.tidy(() =>
      torch.noGrad(() => {
        const hist = torch.ops.aten.bincount(labels.to({ device: 'cpu' }), null, this.numClasses).double();
        const inv = hist.add(1e-10).pow(-pow);
        this.loss_weight.copy_(inv.div(inv.sum()).to({ dtype: this.loss_weight.dtype }));
      }),
    );
  }

  reinitHead(): void {
    this.head.initWeights();
  }

  /** CE of view 0's class scores against the pseudo-labels of the batch's dataset indices. */
  loss(batch: AlgorithmInput): LossOutput {
    needViews(batch.views, 1, 'DeepCluster');
    const labels = this.labels;
    if (!labels) throw new Error('DeepCluster: no pseudo-labels yet; add DeepClusterHook to customHooks (with initial: true)');
    if (!batch.idx) throw new RangeError('DeepCluster: the batch has no dataset indices (idx) to look the pseudo-labels up by');
    const idx = batch.idx;
    return torch.tidy(() => {
      const x = batch.views[0];
      const target = labels.indexSelect(0, idx.to({ device: 'cpu' })).to({ device: x.device });
      const feats = this.neck.forward(this.extractFeat(this.preprocess(x)));
      const loss = this.head.forward(feats, target, this.loss_weight, true);
      return { loss, logs: {} };
    });
  }
}

export const deepClusterPart = definePart({
  registry: ALGORITHMS,
  name: 'DeepCluster',
  schema: deepClusterSchema,
  description: 'DeepCluster: a classifier on k-means pseudo-labels of its own features (with DeepClusterHook)',
  build: (o, path) => new DeepCluster(o, path),
});
