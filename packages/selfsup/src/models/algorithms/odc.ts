/**
 * ODC (Zhan et al. 2020, "Online Deep Clustering for Unsupervised Representation Learning",
 * arXiv:2006.10645), as MMSelfSup 1.x's `ODC`: backbone → ODCNeck → ClsHead classifies each image
 * into the pseudo-label its memory holds (cross-entropy weighted per class by `loss_weight`, the
 * inverse square root of the cluster sizes, normalised), then the memory's features and labels of
 * the batch are updated (`ODCMemory.updateSamplesMemory`; `change_ratio` is logged). The ODCHook
 * initialises the memory (features of the whole set → k-means), updates the centroids, re-assigns
 * small clusters and re-weights the loss.
 *
 * One view `(N, C, H, W)` per sample; `batch.idx (N)` are the dataset indices. State-dict keys are
 * MMSelfSup's: `backbone.*`, `neck.*`, `head.fc_cls.*`, `loss_weight (K)`, `memory_bank.*`. With
 * `withSobel` (MMSelfSup 0.x's `with_sobel`) the normalised images first go through DeepCluster's
 * fixed Sobel layer (`sobel_layer.sobel.{0,1}.*`; the backbone takes 2 channels).
 * Differences from MMSelfSup: the class weights apply from the first iteration (MMSelfSup's hook
 * hands them to the loss only after it), and a resumed run keeps its memory instead of clustering again.
 * The weighted cross-entropy is by default PyTorch's weighted mean Σ w_y·CE / Σ w_y, as MMSelfSup 0.x
 * (the authors' OpenSelfSup) computes it: 1.x's mmcls loss takes the plain batch mean of w_y·CE,
 * and with weights that sum to 1 that is CE / K, every gradient K times smaller (÷ 400 in the
 * CIFAR-10 recipe, ÷ 10,000 on ImageNet); `lossMean: 'batch'` gives 1.x's.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { definePart } from '../../core/registry.js';
import { bool, z } from '../../core/schema.js';
import { ClsHead } from '../heads/cls-head.js';
import { ODCMemory, odcMemorySchema } from '../memories/odc-memory.js';
import { ALGORITHMS } from '../registries.js';
import { type AlgorithmInput, BaseModel, baseModelShape, type LossOutput, needViews } from './base.js';
import { type Sobel, sobelInput } from './sobel.js';

/** `ODC` options (everything but `type`): an ODCNeck, a ClsHead over K clusters and an ODCMemory of K classes. */
export const odcSchema = z.strictObject({
  ...baseModelShape,
  memoryBank: odcMemorySchema,
  /** Feed the backbone Sobel gradients of the grey image (2 channels) instead of RGB. Default false. */
  withSobel: bool().optional(),
  /** 'weighted' (default): Σ w_y·CE / Σ w_y (MMSelfSup 0.x); 'batch': (1/N)·Σ w_y·CE (1.x's mmcls loss). */
  lossMean: z.enum(['weighted', 'batch']).optional(),
});
export type ODCOptions = z.input<typeof odcSchema>;

export class ODC extends BaseModel<ClsHead> {
  readonly memoryBank: ODCMemory;
  readonly numClasses: number;
  /** `(K)` per-class loss weights (sum 1). */
  readonly lossWeight: Tensor;
  readonly withSobel: boolean;
  readonly sobel_layer: Sobel | null;
  readonly lossMean: 'weighted' | 'batch';

  constructor(o: ODCOptions, path = 'model') {
    super(o, path, { head: ClsHead });
    this.numClasses = this.head.numClasses;
    if (o.memoryBank.numClasses !== this.numClasses)
      throw new RangeError(
        `ODC: memoryBank.numClasses (${o.memoryBank.numClasses}) must equal head.numClasses (${this.numClasses})`,
      );
    this.withSobel = o.withSobel ?? false;
    this.lossMean = o.lossMean ?? 'weighted';
    const sobel = sobelInput(this.withSobel, o.backbone, path, 'ODC');
    this.sobel_layer = sobel ? this.registerModule('sobel_layer', sobel) : null;
    this.memoryBank = this.registerModule('memory_bank', new ODCMemory(o.memoryBank));
    this.lossWeight = this.registerBuffer('loss_weight', torch.full([this.numClasses], 1 / this.numClasses));
  }

  override setDatasetLength(n: number): void {
    this.memoryBank.resize(n, 'ODC');
  }

  /** Backbone outputs of preprocessed images (through the Sobel layer when `withSobel`). */
  override extractFeat(images: Tensor): Tensor[] {
    return torch.tidy(() => this.backbone.forward(this.sobel_layer ? this.sobel_layer.forward(images) : images));
  }

  /** Backbone → neck features `(N, D)` of preprocessed images (what the memory stores). */
  embed(images: Tensor): Tensor {
    return this.neck.forward(this.extractFeat(images))[0];
  }

  /** loss_weight ← (1/(n_c + 1e-10))^pow, normalised to sum 1, from the cluster sizes of `labels` (default: the memory's). */
  setReweight(reweightPow: number, labels: Tensor = this.memoryBank.labelBank): void {
    torch.noGrad(() =>
      torch.tidy(() => {
        const hist = torch.ops.aten.bincount(labels, null, this.numClasses).to({ dtype: 'float32' });
        const inv = hist.add(1e-10).reciprocal().pow(reweightPow);
        this.lossWeight.copy_(inv.div(inv.sum()));
      }),
    );
  }

  /** Class-weighted cross-entropy (`lossMean`) of view 0 against the memory's labels; then the memory update. */
  loss(batch: AlgorithmInput): LossOutput {
    needViews(batch.views, 1, 'ODC');
    const idxIn = batch.idx;
    if (!idxIn) throw new TypeError('ODC: the batch has no dataset indices (batch.idx)');
    return torch.tidy(() => {
      const feature = this.neck.forward(this.extractFeat(this.preprocess(batch.views[0])));
      const n = feature[0].shape[0];
      if (idxIn.shape[0] !== n) throw new RangeError(`ODC: ${idxIn.shape[0]} indices for ${n} images`);
      if (feature[0].shape[1] !== this.memoryBank.featDim)
        throw new RangeError(
          `ODC: the neck gives ${feature[0].shape[1]}-d features but memoryBank.featDim is ${this.memoryBank.featDim}`,
        );
      const idx = idxIn.to({ device: this.memoryBank.labelBank.device });
      if (!this.memoryBank.initialized)
        throw new Error('ODC: the memory is not initialised; train with the ODCHook (it clusters the features first)');
      const labels = this.memoryBank.labelBank.indexSelect(0, idx);
      const target = labels.to({ device: feature[0].device });
      const loss = this.head.forward(feature, target, this.lossWeight, this.lossMean === 'weighted');
      const changeRatio = this.memoryBank.updateSamplesMemory(idx, feature[0].detach());
      return { loss, logs: { loss_cls: loss.item(), change_ratio: changeRatio } };
    });
  }

  /** The memory's `initialized` flag travels with checkpoints (its tensors are in the state dict). */
  override extraState(): Record<string, number> {
    return { odc_memory_initialized: this.memoryBank.initialized ? 1 : 0 };
  }

  override loadExtraState(state: Record<string, number>): void {
    if (state.odc_memory_initialized !== undefined) this.memoryBank.initialized = state.odc_memory_initialized === 1;
  }
}

export const odcPart = definePart({
  registry: ALGORITHMS,
  name: 'ODC',
  schema: odcSchema,
  description: 'ODC: online deep clustering, a classifier on pseudo-labels kept by a samples + centroids memory',
  build: (o, path) => new ODC(o, path),
});
