/**
 * ImageNet-1k (`data/imagenet/train`, an ImageFolder) with SimCLR's two views, computed as Pillow does
 * (MMSelfSup's pipelines are PIL's).
 */
import { defineConfig, imagenetLoader, simclrViews } from 'selfsup/config';

export default defineConfig({ trainDataloader: imagenetLoader(simclrViews({ backend: 'pillow' })) });
