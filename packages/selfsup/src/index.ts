/** selfsup: self-supervised learning for images, on libtorch. */
export { readIdx, type IdxArray } from './data/datasets/idx.js';
