/**
 * Parameter and FLOP counts (MMSelfSup's `tools/analysis_tools/get_flops.py`, counted as fvcore
 * and MMEngine do): one FLOP is one multiply-accumulate of a convolution, a linear layer or an
 * attention matmul (so ResNet-50 at 224² is the familiar 4.1 G). Norms, activations and pooling
 * are not counted. Counted by running one forward pass with the layers' `forward` observed.
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import { Attention } from '../models/backbones/vit.js';
import { WindowMSA } from '../models/backbones/swin.js';

export interface Complexity {
  params: number;
  trainableParams: number;
  /** Multiply-accumulates of one forward pass for the given input (batch included). */
  flops: number;
  /** FLOPs per named layer, in call order. */
  byLayer: { name: string; type: string; flops: number }[];
}

/** MACs of one call of a counted layer, from its input and output. */
function layerFlops(m: nn.AnyModule, input: unknown[], output: unknown): number {
  if (m instanceof nn.Conv2d || m instanceof nn.ConvTranspose2d) {
    const out = output as Tensor;
    const [kh, kw] = m.kernelSize;
    // Each output value of a conv takes in/groups × kh × kw MACs; a transposed conv's input values
    // each scatter out/groups × kh × kw.
    if (m instanceof nn.Conv2d) return out.numel() * (m.inChannels / m.groups) * kh * kw;
    return (input[0] as Tensor).numel() * (m.outChannels / m.groups) * kh * kw;
  }
  if (m instanceof nn.Linear) return (output as Tensor).numel() * m.inFeatures;
  if (m instanceof Attention || m instanceof WindowMSA) {
    // q·kᵀ and attn·v: 2 × B × L² × C (the projections are Linear layers, counted on their own).
    const x = input[0] as Tensor;
    const [b, l, c] = x.shape;
    return 2 * b * l * l * c;
  }
  return 0;
}

/** Counts `module`'s parameters and the FLOPs of `run()` (a forward pass through it). */
export function complexity(module: nn.AnyModule, run: () => unknown): Complexity {
  const byLayer: Complexity['byLayer'] = [];
  const restore: (() => void)[] = [];
  for (const [name, m] of module.namedModules()) {
    const counted =
      m instanceof nn.Conv2d ||
      m instanceof nn.ConvTranspose2d ||
      m instanceof nn.Linear ||
      m instanceof Attention ||
      m instanceof WindowMSA;
    if (!counted) continue;
    const target = m as unknown as { forward: (...args: unknown[]) => unknown };
    const original = target.forward;
    target.forward = (...args: unknown[]) => {
      const out = original.apply(m, args);
      byLayer.push({ name, type: m.constructor.name, flops: layerFlops(m, args, out) });
      return out;
    };
    restore.push(() => {
      target.forward = original;
    });
  }
  try {
    torch.inferenceMode(() => torch.tidy(() => void run()));
  } finally {
    for (const r of restore) r();
  }
  const params = module.parameters();
  return {
    params: params.reduce((s, p) => s + p.numel(), 0),
    trainableParams: params.filter((p) => p.requiresGrad).reduce((s, p) => s + p.numel(), 0),
    flops: byLayer.reduce((s, l) => s + l.flops, 0),
    byLayer,
  };
}

/** `4.11 G`, `11.7 M`. */
export function humanCount(n: number): string {
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [v, u] of units) if (Math.abs(n) >= v) return `${(n / v).toFixed(n / v >= 100 ? 1 : n / v >= 10 ? 2 : 3)} ${u}`;
  return String(n);
}
