#!/usr/bin/env node
import { main } from '../dist/src/cli/index.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(`selfsup: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
