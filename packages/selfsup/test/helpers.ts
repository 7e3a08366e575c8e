/** Shared test utilities: Python PyTorch references (`py`), `assertClose`, `gradCheck`, `pseudo`. */
export * from '@selfsup/torch/testing';
