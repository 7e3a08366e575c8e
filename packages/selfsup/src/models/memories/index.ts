/** The memory banks of NPID and ODC (built by their algorithms from `memoryBank`, not registered parts). */
export * from './simple-memory.js';
export * from './odc-memory.js';
