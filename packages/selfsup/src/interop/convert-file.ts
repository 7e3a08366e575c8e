/**
 * One checkpoint file converted to another library's layout (`selfsup convert`): read, detect the
 * family and the source layout unless given, rename through selfsup's names, write in the target's
 * wrapper. Non-backbone keys are dropped unless both layouts name them alike.
 */
import { readCheckpoint, writeCheckpoint } from './checkpoint-file.js';
import { ConvertError, detectArch, detectFormat, fromOurs, layoutFor, toOurs } from './convert.js';
import type { Arch, Format } from './layouts.js';

export interface ConvertResult {
  arch: Arch;
  from: Format;
  to: Format;
  output: string;
  /** Tensors written. */
  tensors: number;
  droppedNonBackbone: number;
  keptNonBackbone: number;
  /** Our keys the target does not hold (mask token, BN batch counters). */
  leftOut: string[];
  /** The input's classifier/neck keys. */
  nonBackbone: string[];
}

/** Layouts that name their non-backbone keys alike, so those can be carried over unchanged. */
export function keepsHeads(from: Format, to: Format, arch: Arch): boolean {
  const mm = (f: Format) => f === 'mmselfsup' || f === 'mmpretrain';
  if (from === to || (mm(from) && mm(to))) return true;
  return arch === 'resnet' && [from, to].every((f) => f === 'torchvision' || f === 'timm');
}

/** Converts `input` to `output` (`.pth` or `.safetensors`) in `o.to`'s layout. */
export function convertFile(input: string, output: string, o: { to: Format; from?: Format; arch?: Arch }): ConvertResult {
  const to = o.to;
  const ckpt = readCheckpoint(input);
  const keys = Object.keys(ckpt.backbone);
  const arch = o.arch ?? detectArch(keys);
  const from: Format =
    o.from ?? (ckpt.hint === 'detectron2' ? 'detectron2' : ckpt.hint === 'mm' ? 'mmselfsup' : detectFormat(keys, arch));
  let ours: ReturnType<typeof toOurs>;
  let out: ReturnType<typeof fromOurs>;
  try {
    ours = toOurs(ckpt.backbone, layoutFor(from, arch, keys, 'source'), arch, from);
    out = fromOurs(ours.ours, layoutFor(to, arch, Object.keys(ours.ours), 'ours'), to);
  } catch (e) {
    if (e instanceof ConvertError || e instanceof TypeError) throw new ConvertError(`${input}: ${e.message}`);
    throw e;
  }
  const keep = keepsHeads(from, to, arch);
  const nonBackbone = [...ours.heads, ...Object.keys(ckpt.others)];
  const kept: Record<string, (typeof ckpt.others)[string]> = keep
    ? { ...ckpt.others, ...Object.fromEntries(ours.heads.map((k) => [k, ckpt.backbone[k]])) }
    : {};
  writeCheckpoint(output, to, out.theirs, kept, `${from} ${arch}: ${input}`);

  return {
    arch,
    from,
    to,
    output,
    tensors: Object.keys(out.theirs).length + Object.keys(kept).length,
    droppedNonBackbone: keep ? 0 : nonBackbone.length,
    keptNonBackbone: keep ? nonBackbone.length : 0,
    leftOut: out.dropped,
    nonBackbone,
  };
}
