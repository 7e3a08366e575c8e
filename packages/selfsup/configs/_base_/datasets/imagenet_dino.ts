/**
 * ImageNet-1k (`data/imagenet/train`, an ImageFolder) with DINO's multi-crop: 2 × 224 px and 10 × 96
 * px, computed as Pillow does (MMSelfSup's pipelines are PIL's).
 */
import { defineConfig, dinoViews, imagenetLoader } from 'selfsup/config';

export default defineConfig({ trainDataloader: imagenetLoader(dinoViews({ backend: 'pillow' })) });
