/**
 * How a `selfsup` command is declared: a {@link CommandSpec} (name, help text, an options table in
 * `node:util` parseArgs's shape, optional subcommands, a `run` body) that {@link addCommand} turns
 * into a commander `Command`. Commander parses (unknown options and subcommands get its
 * did-you-mean, number options are checked by {@link NumberCheck} parsers before `run` opens any
 * file), `exitOverride` keeps `process.exit` out of the library, and {@link runProgram} maps every
 * outcome to an exit code: 0 ok (also `--help`, `--version`), 1 failure, 2 usage or config error.
 *
 * Porting an old-style command `foo(argv)` that called `parseCommand(argv, OPTIONS, …)`:
 *
 * ```ts
 * export const FOO = defineCommand({
 *   name: 'foo', summary: 'one line for `selfsup --help`', usage: FOO_USAGE, options: OPTIONS,
 *   args: '[args...]',            // positionals as commander declares them ('<config>', '[kinds...]')
 *   cfgOptions: true,             // accepts --cfg-options K=V ...
 *   run: async (values, args, cfgOptions) => { ...the old body after parseCommand... },
 * });
 * export const foo = (argv: string[]) => runCommand(FOO, argv);   // keeps `foo(argv)` for tests
 * ```
 *
 * then one line `FOO` in COMMANDS of src/cli/index.ts. Give numeric flags `number: { integer, min }`
 * so they are refused before anything runs; subcommands are `subcommands: [specA, specB]`.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '../core/schema.js';
import { EXIT, UsageError } from './args.js';

/** What a numeric flag accepts; checked while parsing. */
export interface NumberCheck {
  integer?: boolean;
  /** Inclusive lower bound. */
  min?: number;
  /** Strictly greater than zero. */
  positive?: boolean;
}

/** One flag, as in parseArgs's options table, plus what commander should check. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Repeatable: the values collect into an array. */
  multiple?: boolean;
  default?: string;
  /** `--resume [CKPT]`: the flag alone gives the empty string. */
  optionalValue?: boolean;
  /** The value must be a number (it stays a string for `run`). */
  number?: NumberCheck;
  /** The value must be a comma-separated list of numbers. */
  numberList?: NumberCheck;
}

export type OptionSpecs = Record<string, OptionSpec>;

/** The parsed values, keyed by the long flag name (as parseArgs gave them). */
export type Values<O extends OptionSpecs> = {
  [K in keyof O]?: O[K] extends { type: 'boolean' } ? boolean : O[K] extends { multiple: true } ? string[] : string;
};

/** A command (or a subcommand): either `run` or `subcommands`. */
export interface CommandSpec<O extends OptionSpecs = OptionSpecs> {
  name: string;
  /** One line, listed by `selfsup --help`. */
  summary: string;
  /** The full help text (`selfsup <command> --help`, `selfsup help <command>`). */
  usage: string;
  aliases?: string[];
  /** Positionals in commander syntax, space-separated: `<config>`, `[config]`, `[paths...]`. */
  args?: string;
  options?: O;
  /** Accepts MMEngine's `--cfg-options key=value ...` (several values after one flag). */
  cfgOptions?: boolean;
  subcommands?: CommandSpec[];
  /** `raw`: the words after the command's name as typed (for commands that re-launch themselves). */
  run?(values: Values<O>, args: string[], cfgOptions: string[], raw: string[]): Promise<number> | number;
}

/** Identity with type inference for the options table. */
export function defineCommand<O extends OptionSpecs>(spec: CommandSpec<O>): CommandSpec<O> {
  return spec;
}

/** Checks one numeric value; the message names what was expected. */
export function checkNumber(value: string, c: NumberCheck): number {
  const n = value.trim() === '' ? Number.NaN : Number(value);
  const ok =
    Number.isFinite(n) && (!c.integer || Number.isInteger(n)) && (c.min === undefined || n >= c.min) && (!c.positive || n > 0);
  if (!ok) {
    const bound = c.positive ? ' > 0' : c.min !== undefined ? ` ≥ ${c.min}` : '';
    throw new InvalidArgumentError(`expected ${c.integer ? 'an integer' : 'a number'}${bound}`);
  }
  return n;
}

/** Where `run` reports what it returned, and which command ran (for error messages). */
interface RunState {
  code: number;
  path: string;
}

const STATE = new WeakMap<Command, RunState>();

/** A root `selfsup` program whose parse errors and help throw instead of exiting. */
export function createProgram(): Command {
  const program = new Command('selfsup');
  program
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      // console.* (not process.std*.write) so that tests capturing the console see the help.
      writeOut: (s) => console.log(s.replace(/\n$/, '')),
      writeErr: (s) => console.error(s.replace(/\n$/, '')),
    });
  STATE.set(program, { code: EXIT.OK, path: 'selfsup' });
  return program;
}

/** Adds `spec` (and its subcommands) under `parent`, which must descend from {@link createProgram}. */
export function addCommand(parent: Command, spec: CommandSpec): Command {
  let root = parent;
  while (root.parent) root = root.parent;
  const state = STATE.get(root);
  if (!state) throw new Error('addCommand: the parent must come from createProgram()');
  // .command() (not .addCommand) so that exitOverride and the output settings are inherited.
  const cmd = parent.command(spec.name).summary(spec.summary).description(spec.summary);
  for (const a of spec.aliases ?? []) cmd.alias(a);
  const usage = spec.usage.endsWith('\n') ? spec.usage : `${spec.usage}\n`;
  cmd.helpInformation = () => usage;
  if (spec.subcommands) {
    for (const sub of spec.subcommands) addCommand(cmd, sub);
    return cmd;
  }
  for (const a of (spec.args ?? '').split(' ').filter(Boolean)) cmd.argument(a);
  const attributes: [string, string][] = [];
  for (const [key, o] of Object.entries(spec.options ?? {})) {
    if (key === 'help') continue; // commander's own -h, --help
    const value = o.type === 'boolean' ? '' : o.optionalValue ? ' [value]' : ' <value>';
    const opt = new Option(`${o.short ? `-${o.short}, ` : ''}--${key}${value}`);
    const check = (v: string) => {
      if (o.number) checkNumber(v, o.number);
      if (o.numberList) for (const x of v.split(',')) checkNumber(x, o.numberList);
      return v;
    };
    if (o.multiple) opt.argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), check(v)]);
    else if (o.number || o.numberList) opt.argParser(check);
    if (o.default !== undefined) opt.default(o.default);
    cmd.addOption(opt);
    attributes.push([key, opt.attributeName()]);
  }
  if (spec.cfgOptions) cmd.option('--cfg-options <key=value...>', 'override config values');
  cmd.action(async function (this: Command) {
    const opts = this.opts();
    const values: Record<string, unknown> = {};
    for (const [key, attr] of attributes) {
      const v = opts[attr];
      // `--resume` alone: commander gives true; the commands expect '' (parseArgs's convention).
      values[key] = v === true && spec.options?.[key]?.type === 'string' ? '' : v;
    }
    const args = (this.processedArgs as unknown[]).flat().filter((a): a is string => typeof a === 'string');
    state.path = commandPath(this);
    if (!spec.run) throw new Error(`command ${state.path} has neither run nor subcommands`);
    let root: Command = this;
    while (root.parent) root = root.parent;
    const rawArgs = (root as unknown as { rawArgs: string[] }).rawArgs;
    const raw = rawArgs.slice(rawArgs.indexOf(this.name()) + 1);
    state.code = await spec.run(values as Values<OptionSpecs>, args, (opts.cfgOptions as string[] | undefined) ?? [], raw);
  });
  return cmd;
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Parses `argv` (the words after `selfsup`) with `program` and runs the command; returns the exit
 * code. Usage and config errors print `selfsup <command>: <message>` and give 2, other errors 1
 * (with the stack when SELFSUP_DEBUG is set).
 */
export async function runProgram(program: Command, argv: string[]): Promise<number> {
  const state = STATE.get(program);
  if (!state) throw new Error('runProgram: the program must come from createProgram()');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return state.code;
  } catch (e) {
    // Commander has already printed its message (or the help).
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    if (e instanceof UsageError) {
      console.error(`${state.path}: ${e.message} (see ${state.path} --help)`);
      return EXIT.USAGE;
    }
    if (e instanceof ConfigError) {
      console.error(`${state.path}: config error: ${e.message}`);
      return EXIT.USAGE;
    }
    console.error(`${state.path}: ${(e as Error).message}`);
    if (process.env.SELFSUP_DEBUG) console.error(e);
    return EXIT.FAILURE;
  }
}

/** Runs one command on its own (`selfsup <spec.name> ...argv`): what a command's exported function calls. */
export function runCommand(spec: CommandSpec, argv: string[]): Promise<number> {
  const program = createProgram();
  addCommand(program, spec);
  return runProgram(program, [spec.name, ...argv]);
}
