/** ImageNet-1k (`data/imagenet/train`) with MAE's single view: bicubic RRC (0.2, 1) and a flip, as Pillow computes them. */
import { defineConfig, imagenetLoader, maeViews } from 'selfsup/config';

export default defineConfig({ trainDataloader: imagenetLoader(maeViews({ backend: 'pillow' })) });
