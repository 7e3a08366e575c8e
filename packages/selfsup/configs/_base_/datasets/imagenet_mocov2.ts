/**
 * ImageNet-1k (`data/imagenet/train`, an ImageFolder) with MoCo v2's two views (also DenseCL's and
 * SimSiam's), computed as Pillow does (MMSelfSup's pipelines are PIL's).
 */
import { defineConfig, imagenetLoader, mocoV2Views } from 'selfsup/config';

export default defineConfig({ trainDataloader: imagenetLoader(mocoV2Views({ backend: 'pillow' })) });
