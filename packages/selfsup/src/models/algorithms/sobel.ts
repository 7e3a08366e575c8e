/**
 * DeepCluster's fixed Sobel input layer (Caron et al. 2018, arXiv:1807.05520, §4: "a fixed linear
 * transformation based on Sobel filters is used to remove color and increase local contrast"):
 * a 1×1 convolution averaging the three channels (weights 1/3), then a 3×3 convolution (padding 1)
 * with the horizontal [[1, 0, −1], [2, 0, −2], [1, 0, −1]] and vertical [[1, 2, 1], [0, 0, 0],
 * [−1, −2, −1]] kernels. `(N, 3, H, W)` → `(N, 2, H, W)`. MMSelfSup's keys `sobel.0.*`, `sobel.1.*`;
 * the weights never train (requiresGrad false).
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';

export class Sobel extends nn.Module<[Tensor], Tensor> {
  readonly sobel: nn.Sequential;
  private readonly grayscale: nn.Conv2d;
  private readonly filter: nn.Conv2d;

  constructor() {
    super();
    this.grayscale = new nn.Conv2d(3, 1, 1);
    this.filter = new nn.Conv2d(1, 2, 3, { padding: 1 });
    this.sobel = this.registerModule('sobel', new nn.Sequential(this.grayscale, this.filter));
    torch.noGrad(() =>
      torch.tidy(() => {
        this.grayscale.weight.fill_(1 / 3);
        this.grayscale.bias?.zero_();
        this.filter.weight.copy_(
          torch.tensor([
            [
              [
                [1, 0, -1],
                [2, 0, -2],
                [1, 0, -1],
              ],
            ],
            [
              [
                [1, 2, 1],
                [0, 0, 0],
                [-1, -2, -1],
              ],
            ],
          ]),
        );
        this.filter.bias?.zero_();
      }),
    );
    for (const p of this.parameters()) p.requiresGrad_(false);
  }

  /** `(N, 3, H, W)` → `(N, 2, H, W)`: horizontal and vertical gradients of the channel mean. */
  forward(x: Tensor): Tensor {
    if (x.dim() !== 4 || x.shape[1] !== 3) throw new RangeError(`Sobel: expected (N, 3, H, W) images, got shape [${x.shape}]`);
    return torch.tidy(() => this.filter.forward(this.grayscale.forward(x)));
  }
}

/**
 * The Sobel input layer of a clustering algorithm built with `withSobel` (DeepCluster; ODC as
 * MMSelfSup 0.x had it), or null without. The backbone must then take 2 channels: a 3-channel one
 * is a config error, reported at `path.backbone.inChannels`.
 */
export function sobelInput(withSobel: boolean, backbone: object, path: string, algorithm: string): Sobel | null {
  if (!withSobel) return null;
  const inChannels = (backbone as { inChannels?: unknown }).inChannels ?? 3;
  if (inChannels !== 2)
    throw new RangeError(
      `${algorithm}: withSobel feeds the backbone 2 channels (Sobel gradients); set ${path}.backbone.inChannels: 2 (got ${inChannels})`,
    );
  return new Sobel();
}
