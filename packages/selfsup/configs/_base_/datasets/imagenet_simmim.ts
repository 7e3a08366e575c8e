/**
 * ImageNet-1k (`data/imagenet/train`, an ImageFolder) with SimMIM's view at 192 px and its mask of
 * 32-px blocks over 4-px patches (ratio 0.6), computed as Pillow does (MMSelfSup's pipelines are PIL's).
 */
import { defineConfig, imagenetLoader, simmimViews } from 'selfsup/config';

export default defineConfig({ trainDataloader: imagenetLoader(simmimViews({ size: 192, backend: 'pillow' })) });
