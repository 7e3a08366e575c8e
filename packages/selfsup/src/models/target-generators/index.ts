/** Every target generator (classes, schemas and their `…Part`s); importing it registers nothing (see `src/builtins.ts`). */
export * from './low-freq-target-generator.js';
export * from './hog-generator.js';
export * from './clip-generator.js';
export * from './dall-e.js';
export * from './tokenizer-weights.js';
export * from './vqkd.js';
