/**
 * Parameter groups from rules over parameter names and module kinds, as MMEngine's
 * `DefaultOptimWrapperConstructor` with `paramwise_cfg`:
 *
 * - `customKeys` (`custom_keys`): `{ key: { lrMult, decayMult, …other group settings } }`. A
 *   parameter whose full name `"<module path>.<name>"` contains a key takes that key's settings
 *   (the longest matching key wins; among equally long ones the alphabetically first) and no other rule.
 * - `biasLrMult`: lr multiplier of biases (not of normalisation layers).
 * - Weight-decay multipliers, the first that applies (MMEngine ≥ 0.7's order):
 *   `normDecayMult` for the weight and bias of normalisation layers (BatchNorm, SyncBatchNorm,
 *   LayerNorm, GroupNorm, and modules whose class name says so); `biasDecayMult` for biases;
 *   `dwconvDecayMult` for depthwise convolutions (`groups == inChannels`); `flatDecayMult` for
 *   other one-dimensional parameters. A multiplier that is not given does not apply.
 * - `bypassDuplicate`: skip parameters shared with an earlier module instead of failing.
 *
 * As in MMEngine, every parameter gets its own group (`mergeParamGroups` joins groups with equal
 * settings, which is faster with multi-tensor kernels and steps identically).
 */
import { BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm, SyncBatchNorm } from '../nn/norm.js';
import { Conv2d } from '../nn/conv.js';
import type { AnyModule } from '../nn/module.js';
import type { Tensor } from '../tensor.js';
import { camelCase, type HyperValue, type ParamGroupInput } from './optimizer.js';

/** Settings of one custom key: multipliers, plus any group setting copied as is (`larsExclude`, `momentum`). */
export type CustomKeyOptions = {
  lrMult?: number;
  decayMult?: number;
  /** false freezes the matched parameters. */
  requiresGrad?: boolean;
  [setting: string]: HyperValue | undefined;
};

/** MMEngine's `paramwise_cfg` (camelCase; snake_case keys are accepted too). */
export type ParamwiseConfig = {
  customKeys?: Record<string, CustomKeyOptions>;
  biasLrMult?: number;
  biasDecayMult?: number;
  normDecayMult?: number;
  dwconvDecayMult?: number;
  flatDecayMult?: number;
  bypassDuplicate?: boolean;
  [snakeCaseAlias: string]: unknown;
};

/** The optimizer's base settings the multipliers apply to. */
export interface BaseOptimSettings {
  lr: number;
  /** Without it no weight decay is set per group (and decay multipliers are an error). */
  weightDecay?: number;
}

/** One group per parameter: the parameter, its name and the settings the rules gave it. */
export type NamedParamGroup = ParamGroupInput & { params: Tensor[]; paramName: string };

const NORM_NAME = /(Batch|Instance|Group|Layer|RMS)Norm/;

/** Whether a module is a normalisation layer (MMEngine: `_BatchNorm`, `_InstanceNorm`, `GroupNorm`, `LayerNorm`). */
export function isNormModule(m: AnyModule): boolean {
  return (
    m instanceof BatchNorm1d ||
    m instanceof BatchNorm2d ||
    m instanceof SyncBatchNorm ||
    m instanceof LayerNorm ||
    m instanceof GroupNorm ||
    NORM_NAME.test(m.constructor.name)
  );
}

function num(cfg: Record<string, unknown>, key: string, fallback: number): number {
  return optNum(cfg, key) ?? fallback;
}

function optNum(cfg: Record<string, unknown>, key: string): number | undefined {
  const v = cfg[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number') throw new TypeError(`paramwise: ${key} must be a number`);
  return v;
}

function camelRecord(r: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) out[camelCase(k)] = v;
  return out;
}

/**
 * The parameter groups MMEngine's `DefaultOptimWrapperConstructor` builds for `model`: one per
 * parameter, in module order, each with the `lr` and `weightDecay` its rules give (and the
 * custom key's other settings). Frozen parameters (`requiresGrad` false) get a group without
 * settings. Pass the result to an optimizer: `new SGD(paramwiseGroups(model, base, cfg), base)`.
 */
export function paramwiseGroups(
  model: AnyModule,
  base: BaseOptimSettings,
  paramwise: ParamwiseConfig = {},
  opts: { isNorm?: (m: AnyModule) => boolean } = {},
): NamedParamGroup[] {
  const cfg = camelRecord(paramwise);
  const customRaw = (cfg.customKeys ?? {}) as Record<string, Record<string, unknown>>;
  const custom = new Map<string, Record<string, unknown>>();
  for (const [k, v] of Object.entries(customRaw)) custom.set(k, camelRecord(v));
  const baseWd = base.weightDecay;
  if (baseWd === undefined) {
    for (const [k, v] of custom)
      if ('decayMult' in v) throw new RangeError(`paramwise: custom key '${k}' has decay_mult but no base weight decay`);
    for (const k of ['biasDecayMult', 'normDecayMult', 'dwconvDecayMult', 'flatDecayMult'])
      if (k in cfg) throw new RangeError(`paramwise: ${k} needs a base weight decay`);
  }
  // Alphabetical first, then longest first (a stable sort keeps alphabetical order among equals).
  const sortedKeys = [...custom.keys()].sort().sort((a, b) => b.length - a.length);
  const biasLrMult = optNum(cfg, 'biasLrMult');
  const biasDecayMult = optNum(cfg, 'biasDecayMult');
  const normDecayMult = optNum(cfg, 'normDecayMult');
  const dwconvDecayMult = optNum(cfg, 'dwconvDecayMult');
  const flatDecayMult = optNum(cfg, 'flatDecayMult');
  const bypassDuplicate = cfg.bypassDuplicate === true;
  const isNorm = opts.isNorm ?? isNormModule;

  const groups: NamedParamGroup[] = [];
  const seen = new Set<Tensor>();
  for (const [prefix, module] of model.namedModules()) {
    const norm = isNorm(module);
    const dwconv = module instanceof Conv2d && module.inChannels === module.groups;
    for (const [name, param] of module.namedParameters('', false)) {
      const fullName = prefix ? `${prefix}.${name}` : name;
      if (seen.has(param)) {
        if (bypassDuplicate) {
          process.emitWarning(`paramwise: ${fullName} is a duplicate; skipped (bypassDuplicate)`);
          continue;
        }
        throw new RangeError(`paramwise: parameter ${fullName} appears twice (shared); set bypassDuplicate`);
      }
      seen.add(param);
      const group: NamedParamGroup = { params: [param], paramName: fullName };
      if (!param.requiresGrad) {
        groups.push(group);
        continue;
      }
      // MMEngine matches keys against `${prefix}.${name}` (so '.weight' for the root module).
      const matchName = `${prefix}.${name}`;
      const key = sortedKeys.find((k) => matchName.includes(k));
      if (key !== undefined) {
        const settings = custom.get(key) as Record<string, unknown>;
        group.lr = base.lr * num(settings, 'lrMult', 1);
        if (baseWd !== undefined) group.weightDecay = baseWd * num(settings, 'decayMult', 1);
        if (settings.requiresGrad === false) param.requiresGrad_(false);
        for (const [k, v] of Object.entries(settings)) {
          if (k === 'lrMult' || k === 'decayMult' || k === 'requiresGrad' || v === undefined) continue;
          group[k] = v;
        }
        // MMEngine also copies the multipliers into the group; keep them as extra (saved) settings.
        if ('lrMult' in settings) group.lrMult = settings.lrMult;
        if ('decayMult' in settings) group.decayMult = settings.decayMult;
      } else {
        if (name === 'bias' && !norm && biasLrMult !== undefined) group.lr = base.lr * biasLrMult;
        if (baseWd !== undefined) {
          if (norm && normDecayMult !== undefined) group.weightDecay = baseWd * normDecayMult;
          else if (name === 'bias' && biasDecayMult !== undefined) group.weightDecay = baseWd * biasDecayMult;
          else if (dwconv && dwconvDecayMult !== undefined) group.weightDecay = baseWd * dwconvDecayMult;
          else if (param.dim() === 1 && flatDecayMult !== undefined) group.weightDecay = baseWd * flatDecayMult;
        }
      }
      groups.push(group);
    }
  }
  return groups;
}

/**
 * Joins groups whose settings are all equal (keeping first-appearance order), so that each
 * distinct setting is one multi-tensor update. `paramName` becomes `paramNames`.
 */
export function mergeParamGroups(groups: NamedParamGroup[]): ParamGroupInput[] {
  const byKey = new Map<string, ParamGroupInput & { params: Tensor[]; paramNames: string[] }>();
  for (const g of groups) {
    const { params, paramName, ...settings } = g;
    const key = JSON.stringify(Object.entries(settings).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    let m = byKey.get(key);
    if (!m) byKey.set(key, (m = { ...settings, params: [], paramNames: [] }));
    m.params.push(...params);
    m.paramNames.push(paramName);
  }
  return [...byKey.values()];
}
