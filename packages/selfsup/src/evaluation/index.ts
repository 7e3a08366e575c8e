/** Evaluation: features, kNN, linear probe, SVMs, fine-tune, semi-supervised, repeats, 2-D embeddings, feature export, the report. */
export * from './accuracy.js';
export * from './average-precision.js';
export * from './benchmark.js';
export * from './classifier.js';
export * from './embed.js';
export * from './features.js';
export * from './fine-tune.js';
export * from './knn.js';
export * from './linear-probe.js';
export * from './linear-svm.js';
export * from './preprocess.js';
export * from './repeat.js';
export * from './report.js';
export * from './save-features.js';
export * from './semi-supervised.js';
export * from './svm-benchmark.js';
