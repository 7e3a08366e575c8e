/** ImageNet-1k (`data/imagenet/train`, an ImageFolder) with NPID's one view, computed as Pillow does. */
import { defineConfig, imagenetLoader, npidViews } from 'selfsup/config';

export default defineConfig({ trainDataloader: imagenetLoader(npidViews({ backend: 'pillow' })) });
