/**
 * Resizing a batch's views by a factor before the model sees them (ProgressiveResizeHook sets the
 * factor). Bilinear with antialiasing: a 32-px crop brought to 16 px this way is, up to
 * resampling, the crop the pipeline would have made at 16 px, so the smaller views keep their
 * content rather than aliasing it.
 */
import { F, type Tensor } from '@selfsup/torch';

/**
 * `(N, C, H, W)` views resized to `round(H·scale) × round(W·scale)` (at least 1 px), as float32 in
 * the views' own units (uint8 views stay 0–255, which the model's normalisation expects). A view
 * whose size does not change is returned as it is.
 */
export function resizeView(view: Tensor, scale: number): Tensor {
  if (view.dim() !== 4) throw new RangeError(`resizeView: expected (N, C, H, W) views, got shape [${view.shape}]`);
  const [h, w] = [view.shape[2], view.shape[3]];
  const size: [number, number] = [Math.max(1, Math.round(h * scale)), Math.max(1, Math.round(w * scale))];
  if (size[0] === h && size[1] === w) return view;
  return F.interpolate(view.float(), { size, mode: 'bilinear', antialias: true });
}
