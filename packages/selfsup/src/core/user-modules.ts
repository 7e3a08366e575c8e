/**
 * `--import` (MMSelfSup's `custom_imports`): loads user modules that register their own parts
 * (algorithms, datasets, transforms, hooks) before the config is built. `.ts` files work
 * through loader hooks that transpile them on the fly.
 */
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

let registered = false;

function registerTsHooks(): void {
  if (registered) return;
  register(new URL('./ts-hooks.js', import.meta.url));
  registered = true;
}

const imported: string[] = [];

/**
 * Imports each file (relative to the current directory); a missing or failing file names itself.
 * The files are remembered (`importedModules`) so that loader worker threads load them too.
 */
export async function importUserModules(files: readonly string[]): Promise<void> {
  if (files.length === 0) return;
  registerTsHooks();
  for (const f of files) {
    const path = resolve(f);
    if (!existsSync(path)) throw new Error(`--import: ${path} not found`);
    try {
      await import(pathToFileURL(path).href);
    } catch (e) {
      throw new Error(`--import ${f}: ${(e as Error).message}`, { cause: e });
    }
    if (!imported.includes(path)) imported.push(path);
  }
}

/** The absolute paths of the modules `importUserModules` has loaded in this thread, in order. */
export function importedModules(): readonly string[] {
  return imported;
}
