/**
 * ImageNet-1k (`data/imagenet/train`, an ImageFolder) with MoCo v3's asymmetric views, computed as
 * Pillow does (MMSelfSup's pipelines are PIL's).
 */
import { defineConfig, imagenetLoader, mocoV3Views } from 'selfsup/config';

export default defineConfig({ trainDataloader: imagenetLoader(mocoV3Views({ backend: 'pillow' })) });
