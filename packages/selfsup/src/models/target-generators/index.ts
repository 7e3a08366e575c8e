/** Every target generator of masked image modelling (classes, schemas and their `…Part`s); importing it registers nothing (see `src/builtins.ts`). */
export * from './hog-generator.js';
