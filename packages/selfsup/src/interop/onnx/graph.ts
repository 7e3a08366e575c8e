/**
 * A small builder of ONNX graphs: nodes with unique value names, float32 weights as
 * initializers (copied out of libtorch tensors), int64/float constants, and the opset the
 * graph targets (some operators changed their signature between opsets: `ReduceMean`'s axes
 * became an input in 18).
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import { type AttributeMessage, AttributeType, DataType, type NodeMessage, type TensorMessage } from './proto.js';

/** An attribute value: numbers are INT unless wrapped with `float()`, arrays INTS (or FLOATS). */
export type AttrValue = number | number[] | string | { float: number } | { floats: number[] };

/** Marks a number as a FLOAT attribute. */
export const float = (v: number): { float: number } => ({ float: v });

function attribute(name: string, v: AttrValue): AttributeMessage {
  if (typeof v === 'number') return { name, type: AttributeType.INT, i: v };
  if (typeof v === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: AttributeType.INTS, ints: v };
  if ('float' in v) return { name, type: AttributeType.FLOAT, f: v.float };
  return { name, type: AttributeType.FLOATS, floats: v.floats };
}

function tensorMessage(name: string, dims: number[], dataType: number, bytes: Uint8Array): TensorMessage {
  return { name, dims, dataType, rawData: bytes };
}

export class GraphBuilder {
  readonly nodes: NodeMessage[] = [];
  readonly initializers: TensorMessage[] = [];
  private readonly used = new Set<string>();
  private counter = 0;

  constructor(readonly opset: number) {}

  /** A value name not used before, derived from `hint` (a module path or op name). */
  fresh(hint: string): string {
    const base = hint.replace(/[^A-Za-z0-9_.:/-]/g, '_') || 'v';
    let name = base;
    while (this.used.has(name)) name = `${base}_${++this.counter}`;
    this.used.add(name);
    return name;
  }

  /** Adds a node; returns its outputs' names (one per `outputs` count). */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, hint = opType, outputs = 1): string[] {
    const outs = Array.from({ length: outputs }, (_, i) => this.fresh(outputs === 1 ? hint : `${hint}:${i}`));
    this.nodes.push({
      name: this.fresh(`${hint}#${opType}`),
      opType,
      input: inputs,
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outs;
  }

  /** `op` with one output. */
  op1(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, hint = opType): string {
    return this.op(opType, inputs, attrs, hint)[0];
  }

  /** A float32 initializer holding `t`'s values (any dtype, any device; detached). */
  weight(name: string, t: Tensor, shape: number[] = t.shape): string {
    const values = torch.tidy(() => t.detach().to('cpu').float().contiguous().toTypedArray()) as Float32Array;
    return this.floats(name, values, shape);
  }

  /** A float32 initializer from plain numbers. */
  floats(name: string, values: ArrayLike<number>, shape: number[]): string {
    const arr = Float32Array.from(values);
    const n = shape.reduce((a, b) => a * b, 1);
    if (arr.length !== n)
      throw new RangeError(`ONNX export: initializer '${name}' has ${arr.length} values for shape [${shape}]`);
    const id = this.fresh(name);
    this.initializers.push(tensorMessage(id, shape, DataType.FLOAT, new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength)));
    return id;
  }

  /** An int64 initializer (shapes, axes, indices). A scalar when `shape` is `[]`. */
  ints(name: string, values: number[], shape: number[] = [values.length]): string {
    const arr = BigInt64Array.from(values.map((v) => BigInt(v)));
    const id = this.fresh(name);
    this.initializers.push(tensorMessage(id, shape, DataType.INT64, new Uint8Array(arr.buffer)));
    return id;
  }

  /**
   * A reduction (`ReduceMean`, `ReduceSum`, …) over `axes` in the form the target opset takes:
   * the axes as an input from opset 18 (ReduceSum: 13), an attribute before.
   */
  reduce(op: string, x: string, axes: number[], keepdims: boolean, hint: string): string {
    const k = keepdims ? 1 : 0;
    if (this.opset >= (op === 'ReduceSum' ? 13 : 18))
      return this.op1(op, [x, this.ints(`${hint}.axes`, axes)], { keepdims: k }, hint);
    return this.op1(op, [x], { axes, keepdims: k }, hint);
  }

  /** The mean over `axes` (keepdims 0). */
  reduceMean(x: string, axes: number[], hint: string): string {
    return this.reduce('ReduceMean', x, axes, false, hint);
  }
}
