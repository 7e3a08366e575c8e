/** Evaluation: features, kNN, linear probe, fine-tune, 2-D embeddings, feature export, the report. */
export * from './accuracy.js';
export * from './benchmark.js';
export * from './classifier.js';
export * from './embed.js';
export * from './features.js';
export * from './fine-tune.js';
export * from './knn.js';
export * from './linear-probe.js';
export * from './preprocess.js';
export * from './report.js';
export * from './save-features.js';
