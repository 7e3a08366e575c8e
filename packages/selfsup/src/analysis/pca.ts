/**
 * PCA with whitening and DeepCluster's feature preprocessing (Caron et al. 2018, "Deep Clustering
 * for Unsupervised Learning of Visual Features", arXiv:1807.05520, §3.3: "features are PCA-reduced
 * to 256 dimensions, whitened and ℓ2-normalized"), on libtorch tensors. The fit follows faiss's
 * `PCAMatrix(d_in, d_out, eigen_power)` as MMSelfSup's `preprocess_features` uses it: the
 * covariance of the centred data divided by N, its leading eigenvectors, each output coordinate
 * scaled by eigenvalue^eigenPower (−0.5 whitens: the output covariance is the identity).
 * Features are `(N, D)`.
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';

/** A fitted PCA: `(x − mean) · componentsᵀ · diag(eigenvalues^eigenPower)`. */
export interface PCAFit {
  /** `(D)` the data mean. */
  mean: Tensor;
  /** `(d, D)` unit eigenvectors of the covariance, by decreasing eigenvalue (sklearn's `components_`). */
  components: Tensor;
  /** `(d)` the matching eigenvalues of the covariance (divided by N), decreasing. */
  eigenvalues: Tensor;
  /** The power each output coordinate's eigenvalue is raised to (0: plain PCA, −0.5: whitening). */
  eigenPower: number;
}

export interface PCAOptions {
  /** Output dimensions. */
  dim: number;
  /** Default −0.5 (whitening, faiss's `eigen_power` in DeepCluster). */
  eigenPower?: number;
}

/**
 * Fits a PCA to `x (N, D)`. The covariance and its eigendecomposition are computed in float64
 * (whatever `x`'s dtype) so that small eigenvalues, which whitening divides by, keep their digits;
 * the fit is returned in `x`'s dtype.
 */
export function pcaFit(x: Tensor, o: PCAOptions): PCAFit {
  if (x.dim() !== 2) throw new RangeError(`pcaFit: expected features (N, D), got shape [${x.shape}]`);
  const [n, d] = x.shape;
  if (!Number.isInteger(o.dim) || o.dim < 1 || o.dim > d)
    throw new RangeError(`pcaFit: dim (pcaDim) must be an integer in [1, ${d}] for ${d}-dimensional features, got ${o.dim}`);
  if (n < 2) throw new RangeError(`pcaFit: need at least 2 samples, got ${n}`);
  const eigenPower = o.eigenPower ?? -0.5;
  return torch.tidy(() =>
    torch.noGrad(() => {
      const x64 = x.detach().double();
      const mean = x64.mean(0);
      const c = x64.sub(mean);
      const cov = c.t().mm(c).div(n);
      const [vals, vecs] = torch.ops.aten.linalg_eigh(cov);
      // eigh sorts ascending; keep the `dim` largest, largest first.
      const order = torch.arange(d - 1, d - 1 - o.dim, -1, { dtype: 'int64' });
      const eigenvalues = vals.indexSelect(0, order);
      const components = vecs.indexSelect(1, order).t().contiguous();
      const dtype = x.dtype;
      return torch.keep({
        mean: mean.to({ dtype }),
        components: components.to({ dtype }),
        eigenvalues: eigenvalues.to({ dtype }),
        eigenPower,
      });
    }),
  );
}

/** Applies a fitted PCA to `x (M, D)` → `(M, d)`. */
export function pcaApply(fit: PCAFit, x: Tensor): Tensor {
  if (x.dim() !== 2 || x.shape[1] !== fit.mean.shape[0])
    throw new RangeError(`pcaApply: expected features (M, ${fit.mean.shape[0]}), got shape [${x.shape}]`);
  return torch.tidy(() => {
    const y = x.sub(fit.mean).mm(fit.components.t());
    return fit.eigenPower === 0 ? y : y.mul(fit.eigenvalues.pow(fit.eigenPower));
  });
}

/** Frees a fit's tensors. */
export function disposePCA(fit: PCAFit): void {
  fit.mean.dispose();
  fit.components.dispose();
  fit.eigenvalues.dispose();
}

/**
 * MMSelfSup's `preprocess_features`: PCA to `pcaDim` dimensions with whitening (eigenvalue^−0.5;
 * `pcaDim` −1 skips the PCA), then ℓ2-normalisation of every row (`x / (‖x‖ + 1e−10)`).
 * Eigenvalues that vanish make NaNs: up to 0.1 % of the entries they are set to 0, more is an error.
 * `x (N, D)` → `(N, pcaDim)` (or `(N, D)`).
 */
export function preprocessFeatures(x: Tensor, pcaDim: number): Tensor {
  if (x.dim() !== 2) throw new RangeError(`preprocessFeatures: expected features (N, D), got shape [${x.shape}]`);
  if (torch.tidy(() => x.isnan().any().item()))
    throw new RangeError('preprocessFeatures: the features contain NaN (did training diverge?)');
  return torch.tidy(() =>
    torch.noGrad(() => {
      let y = x.detach();
      if (pcaDim !== -1) {
        const fit = pcaFit(y, { dim: pcaDim, eigenPower: -0.5 });
        try {
          y = pcaApply(fit, y);
        } finally {
          disposePCA(fit);
        }
        const nan = y.isnan();
        const frac = nan.sum().item() / Math.max(1, y.numel());
        if (frac > 0.001)
          throw new RangeError(
            `preprocessFeatures: ${(frac * 100).toFixed(3)}% NaN after the PCA whitening (more than 0.1%); ` +
              'the features have fewer independent directions than pcaDim',
          );
        if (frac > 0) y = y.maskedFill(nan, 0);
      }
      return y.div(y.norm(2, 1, { keepdim: true }).add(1e-10));
    }),
  );
}
