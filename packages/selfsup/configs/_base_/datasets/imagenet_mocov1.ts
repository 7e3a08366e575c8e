/**
 * ImageNet-1k (`data/imagenet/train`, an ImageFolder) with MoCo v1's two views, computed as Pillow
 * does (MMSelfSup's pipelines are PIL's).
 */
import { defineConfig, imagenetLoader, mocoV1Views } from 'selfsup/config';

export default defineConfig({ trainDataloader: imagenetLoader(mocoV1Views({ backend: 'pillow' })) });
