/** `torch.nn`: for now the functional API; modules build on it. */
export * as functional from '../functional.js';
