/**
 * The loader's side of config files: resolving `_base_` and import paths, reading files and
 * transpiling `.ts`/`.js` to CommonJS (cached by path, size and modification time, since many
 * configs share their bases), and finding ahead of evaluation the files a tree may need: the
 * imports and `_base_` literals of each file. The sandbox then gets all of them in one request; a
 * path computed at run time costs one more round (`SandboxResponse.need`).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, resolve } from 'node:path';
import type * as TS from 'typescript';
import { ConfigError } from '../../core/errors.js';
import type { Resolution, SourceEntry } from './sandbox-protocol.js';

// The compiler is 9 MB of CommonJS that every `import 'selfsup'` would parse (0.5 s of each CLI
// start and test file): load it the first time a config script is read.
const requireHere = createRequire(import.meta.url);
let compiler: typeof TS | undefined;
function typescript(): typeof TS {
  compiler ??= requireHere('typescript') as typeof TS;
  return compiler;
}

export const SCRIPT = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']);

/** The config file `spec` names from `from` (extension optional; `.js` may stand for `.ts`). */
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

/** `resolveConfigPath` as data: the file, or the error it would throw. */
export function tryResolve(spec: string, from: string): Resolution {
  try {
    return { file: resolveConfigPath(spec, from) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

interface Source {
  entry: SourceEntry;
  /** Path-like string literals written in the file (candidate `_base_` entries and imports). */
  specs: string[];
  /** Size and modification time when read: the cache key. */
  stamp: string;
}

const cache = new Map<string, Source>();

/** Size, modification and change times of `file` ('' when it cannot be read). */
export function stampOf(file: string): string {
  try {
    const s = statSync(file, { bigint: true });
    return `${s.size}:${s.mtimeNs}:${s.ctimeNs}:${s.ino}`;
  } catch {
    return '';
  }
}

/** `file` read (and transpiled when it is code), with the path literals it contains. */
export function readSource(file: string): Source {
  const stamp = stampOf(file);
  const hit = cache.get(file);
  if (hit && stamp !== '' && hit.stamp === stamp) return hit;
  const src = readUncached(file, stamp);
  cache.set(file, src);
  return src;
}

/**
 * The paths a script names statically: import and `require` specifiers and the string literals
 * under a `_base_` key. Other strings (data roots, annotation files) are left alone.
 */
function pathsIn(file: string, text: string): string[] {
  const ts = typescript();
  const out: string[] = [];
  const strings = (n: TS.Node): void => {
    if (ts.isStringLiteralLike(n)) out.push(n.text);
    n.forEachChild(strings);
  };
  const visit = (n: TS.Node): void => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier))
      out.push(n.moduleSpecifier.text);
    else if (
      ts.isCallExpression(n) &&
      (n.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(n.expression) && n.expression.text === 'require'))
    ) {
      const arg = n.arguments[0];
      if (arg && ts.isStringLiteralLike(arg)) out.push(arg.text);
    } else if (
      ts.isPropertyAssignment(n) &&
      (ts.isIdentifier(n.name) || ts.isStringLiteral(n.name)) &&
      n.name.text === '_base_'
    ) {
      strings(n.initializer);
      return;
    }
    n.forEachChild(visit);
  };
  visit(ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, false));
  // Package names ('selfsup') are not files.
  return out.filter((p) => p.startsWith('.') || p.startsWith('/'));
}

function readUncached(file: string, stamp: string): Source {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { entry: { error: `cannot read config ${file}: ${(e as Error).message}` }, specs: [], stamp };
  }
  const ext = extname(file);
  if (ext === '.json') {
    let bases: unknown;
    try {
      bases = (JSON.parse(text) as { _base_?: unknown })?._base_;
    } catch (e) {
      return { entry: { error: `${file}: invalid JSON: ${(e as Error).message}` }, specs: [], stamp };
    }
    const list = typeof bases === 'string' ? [bases] : Array.isArray(bases) ? bases : [];
    return { entry: { json: text }, specs: list.filter((b): b is string => typeof b === 'string'), stamp };
  }
  if (!SCRIPT.has(ext)) return { entry: { error: `${file}: a config is a .ts, .js or .json file` }, specs: [], stamp };
  return { entry: transpile(file, text), specs: pathsIn(file, text), stamp };
}

function transpile(file: string, text: string): SourceEntry {
  const ts = typescript();
  const out = ts.transpileModule(text, {
    fileName: file,
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  const syntax = out.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error);
  if (!syntax) return { js: out.outputText };
  const pos = syntax.file && syntax.start !== undefined ? syntax.file.getLineAndCharacterOfPosition(syntax.start) : null;
  const where = pos ? `:${pos.line + 1}:${pos.character + 1}` : '';
  return { error: `${file}${where}: ${ts.flattenDiagnosticMessageText(syntax.messageText, '\n')}` };
}
