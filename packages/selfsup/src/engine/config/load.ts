/**
 * Config files (MMEngine's `Config.fromfile`, in TypeScript): a module whose default export is
 * plain data. `_base_: ['../_base_/models/simclr.ts', …]` lists base files (paths relative to the
 * file, or absolute) merged in order underneath it; a config may also import other config files,
 * named the same two ways (`import base from '/abs/base.ts'`, `'./base.js'`): one resolution rule,
 * `resolveConfigPath`, serves both. A bare name (`'foo'`) is a package to `import` (refused) and,
 * as in MMEngine, a path relative to the file in `_base_`. `.ts`,
 * `.mts`, `.js`, `.mjs` and `.cjs` files are transpiled with TypeScript and evaluated with a
 * `require` that reaches only config files and `selfsup`'s config helpers, so a config cannot
 * pull in arbitrary code by accident; `.json` (e.g. a work dir's `config.json`) is read as is.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import ts from 'typescript';
import * as helpers from './helpers.js';
import { type ConfigObject, type ConfigValue, isPlainObject, mergeConfig, stripMarkers } from './merge.js';
import { ConfigError } from '../../core/schema.js';

const SCRIPT = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']);
/** What `require('selfsup')` and `require('selfsup/config')` give a config: data-building functions only. */
const HELPERS: Record<string, unknown> = { ...helpers };

/** Loads a config file with its bases merged; the result is plain data without `_base_` keys. */
export function loadConfig(file: string): ConfigObject {
  const cfg = loadTree(resolve(file), []);
  return stripMarkers(cfg) as ConfigObject;
}

function loadTree(file: string, stack: string[]): ConfigObject {
  if (stack.includes(file)) throw new ConfigError('', `config cycle: ${[...stack, file].join(' → ')}`);
  const own = readModule(file, stack);
  const bases = own._base_;
  const { _base_: _unused, ...rest } = own;
  let merged: ConfigValue = {};
  if (bases !== undefined) {
    const list = typeof bases === 'string' ? [bases] : bases;
    if (!Array.isArray(list) || list.some((b) => typeof b !== 'string'))
      throw new ConfigError('_base_', `${file}: expected a path or a list of paths, got ${JSON.stringify(bases)}`);
    for (const b of list as string[]) merged = mergeConfig(merged, loadTree(resolveConfigPath(b, file), [...stack, file]));
  }
  return mergeConfig(merged, rest) as ConfigObject;
}

/** Whether an `import` names a config file: a path relative to the importing file, or absolute. */
export function isConfigImport(spec: string): boolean {
  return spec.startsWith('./') || spec.startsWith('../') || isAbsolute(spec);
}

/** Where `spec` (a `_base_` entry or an import) written in `from` points: relative to `from`'s folder, or absolute. */
export function resolveConfigPath(spec: string, from: string): string {
  const base = resolve(dirname(from), spec);
  const candidates = [base, base.replace(/\.js$/, '.ts'), `${base}.ts`, `${base}.js`, `${base}.json`];
  const hit = candidates.find((c) => existsSync(c) && (SCRIPT.has(extname(c)) || extname(c) === '.json'));
  if (hit) return hit;
  // The file is there but is no config: say that, not "not found".
  if (existsSync(base) && statSync(base).isFile())
    throw new ConfigError('', `${from}: '${spec}' (${base}) is not a config: a config is a .ts, .js or .json file`);
  throw new ConfigError('', `${from}: config '${spec}' not found (looked for ${candidates.join(', ')})`);
}

function readModule(file: string, stack: string[]): ConfigObject {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError('', `cannot read config ${file}: ${(e as Error).message}`);
  }
  const ext = extname(file);
  let value: unknown;
  if (ext === '.json') {
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new ConfigError('', `${file}: invalid JSON: ${(e as Error).message}`);
    }
  } else if (SCRIPT.has(ext)) {
    value = evaluate(file, text, stack);
  } else {
    throw new ConfigError('', `${file}: a config is a .ts, .js or .json file`);
  }
  if (!isPlainObject(value)) throw new ConfigError('', `${file}: the default export must be a config object`);
  return value as ConfigObject;
}

function evaluate(file: string, text: string, stack: string[]): unknown {
  const out = ts.transpileModule(text, {
    fileName: file,
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  const syntax = out.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error);
  if (syntax) {
    const pos = syntax.file && syntax.start !== undefined ? syntax.file.getLineAndCharacterOfPosition(syntax.start) : null;
    throw new ConfigError(
      '',
      `${file}${pos ? `:${pos.line + 1}:${pos.character + 1}` : ''}: ${ts.flattenDiagnosticMessageText(syntax.messageText, '\n')}`,
    );
  }
  const mod: { exports: Record<string, unknown> } = { exports: {} };
  const req = (spec: string): unknown => {
    if (spec === 'selfsup' || spec === 'selfsup/config') return HELPERS;
    if (isConfigImport(spec)) {
      const cfg = loadTree(resolveConfigPath(spec, file), [...stack, file]);
      return { __esModule: true, default: cfg };
    }
    throw new ConfigError(
      '',
      `${file}: a config may import only other config files (./relative or /absolute paths) and 'selfsup', not '${spec}'`,
    );
  };
  try {
    new Function('exports', 'require', 'module', '__filename', '__dirname', out.outputText)(
      mod.exports,
      req,
      mod,
      file,
      dirname(file),
    );
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError('', `${file}: evaluating the config failed: ${(e as Error).message}`);
  }
  return 'default' in mod.exports ? mod.exports.default : mod.exports;
}
