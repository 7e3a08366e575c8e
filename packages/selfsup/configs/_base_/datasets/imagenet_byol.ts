/**
 * ImageNet-1k (`data/imagenet/train`, an ImageFolder) with BYOL's asymmetric views (also Barlow Twins'
 * and VICReg's), computed as Pillow does (MMSelfSup's pipelines are PIL's).
 */
import { byolViews, defineConfig, imagenetLoader } from 'selfsup/config';

export default defineConfig({ trainDataloader: imagenetLoader(byolViews({ backend: 'pillow' })) });
