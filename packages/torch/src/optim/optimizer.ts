/**
 * `Optimizer`: parameter groups with per-group hyperparameters, per-parameter state owned by the
 * optimizer, and state dicts in PyTorch's format, so an optimizer state moves both ways between
 * selfsup and Python (`torch.optim.SGD(...).load_state_dict(torch.load(path))`) and a resumed run
 * continues exactly where it stopped.
 *
 * ```ts
 * const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * torch.tidy(() => { model.call(x).mean().backward(); });
 * opt.step();
 * opt.zeroGrad();
 * ```
 *
 * Parameters may have any shape and floating dtype; each state tensor has its parameter's shape.
 *
 * Memory: state tensors (momentum buffers, moments) are kept by the optimizer (`torch.keep`) and
 * freed by `dispose()`; `step()` runs under `torch.noGrad` inside a `torch.tidy`, so every
 * temporary it makes is freed before it returns.
 */
import { noGrad } from '../autograd.js';
import { scalarTensor } from '../creation.js';
import { keep, tidy } from '../scope.js';
import type { StateDict, StateValue } from '../serialization/state.js';
import { Tensor } from '../tensor.js';
import * as fe from './foreach.js';

/** A plain hyperparameter value: numbers, flags, labels, tuples such as Adam's `betas`. */
export type HyperValue = number | boolean | string | null | number[] | string[];

/** The hyperparameters every optimizer has. Optimizers extend it with their own. */
export type BaseHyper = { lr: number; weightDecay: number };

/** Per-parameter optimizer state: tensors (moments), numbers (step counts) or null. */
export type StateEntry = Tensor | number | null | undefined;

/**
 * One parameter group: the tensors it updates and its hyperparameters `H`, plus
 * `initial` (values recorded by schedulers before their first change, PyTorch's `initial_lr`)
 * and `extra` (other settings carried along and saved, such as MMEngine's `lr_mult`).
 */
export type ParamGroup<H extends BaseHyper = BaseHyper> = H & {
  params: Tensor[];
  /** Hyperparameter values before any schedule touched them, by camelCase name (`lr`, `momentum`). */
  initial: Record<string, number>;
  /** Settings the optimizer does not use, saved in state dicts under these (snake_case) keys. */
  extra: Record<string, HyperValue>;
};

/**
 * What an optimizer accepts per group: the parameters and any subset of its hyperparameters
 * (camelCase or PyTorch's snake_case names). Unknown keys are kept in `extra`.
 */
export type ParamGroupInput = {
  params: Iterable<Tensor> | Tensor;
  lr?: number;
  weightDecay?: number;
  [key: string]: unknown;
};

/** The parameters to optimize: a list of tensors (one group) or of group descriptions. */
export type ParamsInput = Iterable<Tensor> | ParamGroupInput[];

/** The view of an optimizer that schedulers and wrappers need (an `OptimWrapper` offers it too). */
export interface HyperparamTarget {
  readonly paramGroups: ParamGroup[];
  /** A group's hyperparameter by name; `momentum` reads `betas[0]` for Adam-like optimizers. */
  getHyper(groupIndex: number, name: string): number;
  setHyper(groupIndex: number, name: string, value: number): void;
  /** Whether the groups have this hyperparameter (`momentum` is also found as `betas[0]`). */
  hasHyper(name: string): boolean;
}

/** `weightDecay` → `weight_decay`. */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** `weight_decay` → `weightDecay`. */
export function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function isHyperValue(v: unknown): v is HyperValue {
  return (
    v === null ||
    typeof v === 'number' ||
    typeof v === 'boolean' ||
    typeof v === 'string' ||
    (Array.isArray(v) && (v.every((e) => typeof e === 'number') || v.every((e) => typeof e === 'string')))
  );
}

function isParamGroupInputList(p: ParamsInput): p is ParamGroupInput[] {
  return Array.isArray(p) && p.length > 0 && !(p[0] instanceof Tensor);
}

function sameKind(a: HyperValue, b: unknown): boolean {
  if (Array.isArray(a)) return Array.isArray(b) && b.every((e) => typeof e === typeof (a[0] ?? 0));
  if (a === null) return b === null || typeof b === 'number';
  return typeof a === typeof b || (typeof a === 'number' && b === null);
}

/**
 * Base class of every optimizer. `H` is the hyperparameter record of a group (its defaults are
 * given to the constructor), `S` the per-parameter state record.
 *
 * Subclasses implement `updateGroup(group, params, grads)` (called inside `noGrad` + `tidy`, with
 * the group's parameters that have a gradient) and say how their state is named in PyTorch's
 * format through `stateKey`, `packStateEntry` and `unpackStateEntry`.
 */
export abstract class Optimizer<
  H extends BaseHyper = BaseHyper,
  S extends Record<string, StateEntry> = Record<string, StateEntry>,
> implements HyperparamTarget
{
  readonly defaults: H;
  readonly paramGroups: ParamGroup<H>[] = [];
  /** Per-parameter state, created lazily at a parameter's first step. */
  readonly state = new Map<Tensor, S>();
  private disposed = false;

  constructor(params: ParamsInput, defaults: H) {
    this.defaults = { ...defaults };
    const groups: ParamGroupInput[] = isParamGroupInputList(params) ? params : [{ params: params as Iterable<Tensor> }];
    if (groups.length === 0) throw new RangeError(`${this.constructor.name}: got an empty parameter list`);
    for (const g of groups) this.addParamGroup(g);
    if (this.paramGroups.every((g) => g.params.length === 0))
      throw new RangeError(`${this.constructor.name}: got an empty parameter list`);
  }

  /**
   * Adds a group (as `add_param_group`): missing hyperparameters take the defaults; snake_case
   * keys are accepted; keys the optimizer does not know are kept in `extra`. A parameter may be
   * in one group only.
   */
  addParamGroup(input: ParamGroupInput): void {
    const params = input.params instanceof Tensor ? [input.params] : [...input.params];
    for (const p of params) {
      if (!(p instanceof Tensor)) throw new TypeError(`${this.constructor.name}: parameters must be Tensors`);
    }
    const seen = new Set<Tensor>();
    for (const g of this.paramGroups) for (const p of g.params) seen.add(p);
    for (const p of params) {
      if (seen.has(p)) throw new RangeError(`${this.constructor.name}: a parameter appears in more than one parameter group`);
      seen.add(p);
    }
    const hyper: Record<string, HyperValue> = {};
    for (const [k, v] of Object.entries(this.defaults as Record<string, HyperValue>))
      hyper[k] = Array.isArray(v) ? ([...v] as HyperValue) : v;
    const extra: Record<string, HyperValue> = {};
    const initial: Record<string, number> = {};
    for (const [rawKey, v] of Object.entries(input)) {
      if (rawKey === 'params' || v === undefined) continue;
      if (rawKey === 'extra' && v !== null && typeof v === 'object' && !Array.isArray(v)) {
        for (const [k, e] of Object.entries(v)) if (isHyperValue(e)) extra[snakeCase(k)] = e;
        continue;
      }
      if (rawKey === 'initial' && v !== null && typeof v === 'object' && !Array.isArray(v)) {
        for (const [k, e] of Object.entries(v)) if (typeof e === 'number') initial[camelCase(k)] = e;
        continue;
      }
      const key = camelCase(rawKey);
      if (key in hyper) {
        if (!sameKind(hyper[key], v))
          throw new TypeError(`${this.constructor.name}: group option '${rawKey}' should be like ${JSON.stringify(hyper[key])}`);
        hyper[key] = Array.isArray(v) ? ([...v] as HyperValue) : (v as HyperValue);
      } else if (key.startsWith('initial') && key.length > 7 && typeof v === 'number') {
        initial[key[7].toLowerCase() + key.slice(8)] = v;
      } else if (isHyperValue(v)) {
        extra[snakeCase(rawKey)] = v;
      } else {
        throw new TypeError(`${this.constructor.name}: group option '${rawKey}' is not a plain value`);
      }
    }
    const group = { ...hyper, params, initial, extra } as ParamGroup<H>;
    this.validateGroup(group);
    this.paramGroups.push(group);
  }

  /** Throws on invalid hyperparameters (negative lr, …). */
  protected validateGroup(group: ParamGroup<H>): void {
    if (!(group.lr >= 0)) throw new RangeError(`${this.constructor.name}: invalid learning rate ${group.lr}`);
    if (!(group.weightDecay >= 0)) throw new RangeError(`${this.constructor.name}: invalid weight_decay ${group.weightDecay}`);
  }

  /**
   * One optimization step over every group, using each parameter's `.grad` (parameters without a
   * gradient are skipped). Runs without recording gradients and frees every temporary.
   */
  step(): void {
    if (this.disposed) throw new Error(`${this.constructor.name}: step() after dispose()`);
    tidy(() =>
      noGrad(() => {
        this.beforeStep();
        for (const group of this.paramGroups) {
          const params: Tensor[] = [];
          const grads: Tensor[] = [];
          for (const p of group.params) {
            const g = p.grad;
            if (g === null) continue;
            params.push(p);
            grads.push(g);
          }
          this.updateGroup(group, params, grads);
        }
      }),
    );
  }

  /** Called once per step before the groups are updated (LAMB's global gradient norm). */
  protected beforeStep(): void {}

  /** Updates `params` (those of `group` with a gradient) from `grads`. Runs inside `noGrad` and `tidy`. */
  protected abstract updateGroup(group: ParamGroup<H>, params: Tensor[], grads: Tensor[]): void;

  /** The state of `p`, created by `init` (whose tensors are kept) on first use. */
  protected stateOf(p: Tensor, init: () => S): S {
    let s = this.state.get(p);
    if (!s) {
      s = init();
      keep(Object.values(s).filter((v): v is Tensor => v instanceof Tensor));
      this.state.set(p, s);
    }
    return s;
  }

  /** Stores a tensor into a state record, keeping it and freeing the tensor it replaces. */
  protected setStateTensor<K extends keyof S>(s: S, key: K, t: Tensor & S[K]): void {
    const old = s[key];
    keep(t);
    s[key] = t;
    if (old instanceof Tensor && old !== t) old.dispose();
  }

  /**
   * Clears the gradients of every parameter: dropped (`setToNone`, PyTorch 2's default), or
   * zeroed in place (detached from any graph first).
   */
  zeroGrad(setToNone = true): void {
    tidy(() => {
      const grads: Tensor[] = [];
      for (const g of this.paramGroups) {
        for (const p of g.params) {
          if (setToNone) {
            p.grad = null;
            continue;
          }
          const grad = p.grad;
          if (!grad) continue;
          if (grad.gradFn !== null) grad.detach_();
          else if (grad.requiresGrad) grad.requiresGrad_(false);
          grads.push(grad);
        }
      }
      fe.zero_(grads);
    });
  }

  // ---- hyperparameters (for schedulers) ------------------------------------------------------
  private groupRecord(i: number): Record<string, unknown> {
    const g = this.paramGroups[i];
    if (!g) throw new RangeError(`${this.constructor.name}: no parameter group ${i}`);
    return g as unknown as Record<string, unknown>;
  }

  getHyper(groupIndex: number, name: string): number {
    const g = this.groupRecord(groupIndex);
    const key = camelCase(name);
    const v = g[key];
    if (typeof v === 'number') return v;
    if (key === 'momentum' && Array.isArray(g.betas)) return (g.betas as number[])[0];
    throw new TypeError(`${this.constructor.name}: group ${groupIndex} has no numeric hyperparameter '${name}'`);
  }

  setHyper(groupIndex: number, name: string, value: number): void {
    const g = this.groupRecord(groupIndex);
    const key = camelCase(name);
    if (typeof g[key] === 'number') g[key] = value;
    else if (key === 'momentum' && Array.isArray(g.betas)) g.betas = [value, ...(g.betas as number[]).slice(1)];
    else throw new TypeError(`${this.constructor.name}: group ${groupIndex} has no numeric hyperparameter '${name}'`);
  }

  hasHyper(name: string): boolean {
    const key = camelCase(name);
    const d = this.defaults as Record<string, unknown>;
    return typeof d[key] === 'number' || (key === 'momentum' && Array.isArray(d.betas));
  }

  // ---- state dicts ---------------------------------------------------------------------------
  /** PyTorch's keys for this optimizer's state entries (camelCase name → snake_case is the default). */
  protected stateKey(name: string): string {
    return snakeCase(name);
  }

  /** Converts one state entry to what PyTorch stores (Adam's `step` is a float32 0-d tensor). */
  protected packStateEntry(_name: string, v: Exclude<StateEntry, undefined>): StateValue {
    return v;
  }

  /** Settings PyTorch's own class writes into every group that this one does not use (`foreach`, …). */
  protected pytorchGroupExtras(): Record<string, HyperValue> {
    return {};
  }

  /**
   * The optimizer's state in PyTorch's format:
   * `{ state: { [paramIndex]: { momentum_buffer, exp_avg, step, … } }, param_groups: [{ lr, weight_decay, …, params: [indices] }] }`.
   * State tensors are the optimizer's own (not copies); numbers that PyTorch keeps as tensors are
   * new 0-d tensors, so call this inside `torch.tidy` (e.g. around `torch.save`).
   */
  stateDict(): StateDict {
    const index = new Map<Tensor, number>();
    let next = 0;
    const groups: StateValue[] = this.paramGroups.map((g) => {
      const packed: Record<string, StateValue> = {};
      for (const [k, v] of Object.entries(g)) {
        if (k === 'params' || k === 'initial' || k === 'extra') continue;
        packed[snakeCase(k)] = Array.isArray(v) ? ([...v] as StateValue) : (v as HyperValue);
      }
      for (const [k, v] of Object.entries(this.pytorchGroupExtras())) if (!(k in packed)) packed[k] = v;
      for (const [k, v] of Object.entries(g.initial)) packed[`initial_${snakeCase(k)}`] = v;
      for (const [k, v] of Object.entries(g.extra)) if (!(k in packed)) packed[k] = Array.isArray(v) ? ([...v] as StateValue) : v;
      packed.params = g.params.map((p) => {
        let i = index.get(p);
        if (i === undefined) index.set(p, (i = next++));
        return i;
      });
      return packed;
    });
    const state: Record<string, StateValue> = {};
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        const s = this.state.get(p);
        if (!s) continue;
        const entry: Record<string, StateValue> = {};
        for (const [k, v] of Object.entries(s)) {
          if (v === undefined) continue;
          entry[this.stateKey(k)] = this.packStateEntry(k, v);
        }
        state[String(index.get(p))] = entry;
      }
    }
    return { state, param_groups: groups };
  }

  /** Reads one saved state entry back (inverse of `packStateEntry`); tensors are already copies. */
  protected unpackStateEntry(_name: string, v: StateValue): StateEntry {
    if (v === null || v instanceof Tensor || typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    if (typeof v === 'boolean') return v ? 1 : 0;
    throw new TypeError(`${this.constructor.name}: unsupported optimizer state value ${JSON.stringify(v)}`);
  }

  /**
   * Restores a state dict from `stateDict()` or from Python's `optimizer.state_dict()` (read with
   * `torch.load`). Groups must match in number and size; hyperparameters are taken from the dict
   * (as PyTorch does) and state tensors are copied to each parameter's dtype and device.
   */
  loadStateDict(sd: StateDict): void {
    const savedGroups = sd.param_groups;
    const savedState = sd.state;
    if (!Array.isArray(savedGroups)) throw new TypeError('loadStateDict: state dict has no param_groups list');
    if (savedState === null || typeof savedState !== 'object' || Array.isArray(savedState) || savedState instanceof Tensor)
      throw new TypeError('loadStateDict: state dict has no state record');
    if (savedGroups.length !== this.paramGroups.length)
      throw new RangeError(
        `loadStateDict: the state dict has ${savedGroups.length} parameter groups, this optimizer ${this.paramGroups.length}`,
      );
    const idMap = new Map<string, Tensor>();
    savedGroups.forEach((sg, gi) => {
      if (sg === null || typeof sg !== 'object' || Array.isArray(sg) || sg instanceof Tensor)
        throw new TypeError(`loadStateDict: param_groups[${gi}] is not a record`);
      const ids = sg.params;
      const own = this.paramGroups[gi].params;
      if (!Array.isArray(ids) || ids.length !== own.length)
        throw new RangeError(
          `loadStateDict: param_groups[${gi}] has ${Array.isArray(ids) ? ids.length : 0} parameters, this optimizer's group ${own.length}`,
        );
      ids.forEach((id, i) => {
        idMap.set(String(id), own[i]);
      });
    });
    // Build the new state first (copies), then swap, so a failure leaves the optimizer untouched.
    const fresh = new Map<Tensor, S>();
    try {
      tidy(() => {
        for (const [k, raw] of Object.entries(savedState)) {
          const p = idMap.get(k);
          if (!p || raw === null || typeof raw !== 'object' || Array.isArray(raw) || raw instanceof Tensor) continue;
          const s: Record<string, StateEntry> = {};
          for (const [sk, sv] of Object.entries(raw)) {
            const name = this.stateNameFromKey(sk);
            let v: StateValue = sv;
            if (v instanceof Tensor) {
              // A copy (PyTorch deep-copies): floating state takes the parameter's dtype, `step` keeps its own.
              const dtype = name === 'step' || !p.isFloatingPoint() || !v.isFloatingPoint() ? v.dtype : p.dtype;
              v = keep(v.to({ dtype, device: p.device, copy: true }));
            }
            s[name] = this.unpackStateEntry(name, v);
            if (v instanceof Tensor && s[name] !== v) v.dispose();
          }
          fresh.set(p, s as S);
        }
      });
    } catch (e) {
      for (const s of fresh.values()) for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
      throw e;
    }
    this.disposeState();
    for (const [p, s] of fresh) this.state.set(p, s);
    savedGroups.forEach((sg, gi) => {
      const g = this.paramGroups[gi] as unknown as Record<string, unknown>;
      const rec = sg as Record<string, StateValue>;
      const extra: Record<string, HyperValue> = {};
      const initial: Record<string, number> = {};
      const known = new Set(Object.keys(this.defaults));
      const pytorchOnly = new Set(Object.keys(this.pytorchGroupExtras()));
      for (const [k, v] of Object.entries(rec)) {
        if (k === 'params') continue;
        const key = camelCase(k);
        if (known.has(key)) {
          if (sameKind(this.defaults[key as keyof H] as HyperValue, v)) g[key] = Array.isArray(v) ? [...v] : v;
          else throw new TypeError(`loadStateDict: param_groups[${gi}].${k} has the wrong type`);
        } else if (k.startsWith('initial_') && typeof v === 'number') {
          initial[camelCase(k.slice(8))] = v;
        } else if (!pytorchOnly.has(k) && isHyperValue(v)) {
          extra[k] = v;
        }
      }
      g.initial = initial;
      g.extra = extra;
    });
  }

  /** camelCase state name of a PyTorch state key. */
  protected stateNameFromKey(key: string): string {
    return camelCase(key);
  }

  private disposeState(): void {
    for (const s of this.state.values()) for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
    this.state.clear();
  }

  /** Frees the optimizer's state tensors (the parameters stay with their module). */
  dispose(): void {
    this.disposeState();
    this.disposed = true;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** The float32 0-d tensor PyTorch stores for a step count. */
  protected static stepTensor(step: number): Tensor {
    return scalarTensor(step, { dtype: 'float32' });
  }
}
