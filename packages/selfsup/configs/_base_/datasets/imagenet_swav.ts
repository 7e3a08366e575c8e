/**
 * ImageNet-1k (`data/imagenet/train`, an ImageFolder) with SwAV's multi-crop: 2 × 224 px and 6 × 96
 * px, computed as Pillow does (MMSelfSup's pipelines are PIL's).
 */
import { defineConfig, imagenetLoader, swavViews } from 'selfsup/config';

export default defineConfig({ trainDataloader: imagenetLoader(swavViews({ backend: 'pillow' })) });
