/** `selfsup convert <in> <out> --to FORMAT`: a backbone checkpoint from one library's layout to another's. */
import { existsSync } from 'node:fs';
import { convertFile } from '../interop/convert-file.js';
import { type Arch, ARCHS, FORMATS, type Format } from '../interop/layouts.js';
import { EXIT, printJson, UsageError } from './args.js';
import { defineCommand, runCommand, type Values } from './command.js';

export const CONVERT_USAGE = `usage: selfsup convert <in> <out> --to FORMAT [--from FORMAT] [--arch resnet|vit|swin] [--json]

Converts a ResNet, ViT or Swin backbone checkpoint between libraries' state-dict layouts.
FORMAT: ${FORMATS.join(', ')} (mmselfsup and mmpretrain are one layout).
  --from   the input's layout (default: detected from its keys and wrapper)
  --arch   the backbone family (default: detected from its keys)
<in> is a .pth/.pt/.ckpt/.bin or .safetensors file; <out>'s extension chooses .pth or .safetensors.
Classifier/neck keys are dropped (and counted), except between torchvision and timm ResNets (fc.*)
and between mmselfsup and mmpretrain (everything outside backbone.). detectron2 is ResNet only.
See docs/interop.md for using the result in mmdet/mmseg and detectron2.
`;

function formatFlag(v: string | undefined, flag: string): Format | undefined {
  if (v === undefined) return undefined;
  if (!(FORMATS as readonly string[]).includes(v)) throw new UsageError(`${flag}: unknown format '${v}' (${FORMATS.join(', ')})`);
  return v as Format;
}

function prefixes(keys: string[]): string {
  return [...new Set(keys.map((k) => `${k.split('.')[0]}.*`))].join(', ');
}

const OPTIONS = {
  to: { type: 'string' },
  from: { type: 'string' },
  arch: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const CONVERT = defineCommand({
  name: 'convert',
  summary: 'a ResNet/ViT/Swin checkpoint to torchvision, timm, mmselfsup/mmpretrain, detectron2 or selfsup keys',
  usage: CONVERT_USAGE,
  args: '[files...]',
  options: OPTIONS,
  run: runConvert,
});

/** Runs `selfsup convert <argv>`; returns the exit code. */
export const convert = (argv: string[]): Promise<number> => runCommand(CONVERT, argv);

function runConvert(values: Values<typeof OPTIONS>, positionals: string[]): number {
  if (positionals.length !== 2) throw new UsageError('convert needs an input and an output file');
  const [input, output] = positionals;
  const to = formatFlag(values.to, '--to');
  if (!to) throw new UsageError('--to is required');
  const fromFlag = formatFlag(values.from, '--from');
  if (values.arch !== undefined && !(ARCHS as readonly string[]).includes(values.arch))
    throw new UsageError(`--arch: unknown family '${values.arch}' (${ARCHS.join(', ')})`);
  if (!/\.(pth|pt|ckpt|bin|safetensors)$/.test(output))
    throw new UsageError(`output '${output}' must end in .pth, .pt, .ckpt, .bin or .safetensors`);
  if (!existsSync(input)) throw new UsageError(`input checkpoint '${input}' does not exist`);

  const result = convertFile(input, output, { to, from: fromFlag, arch: values.arch as Arch | undefined });
  if (values.json) printJson(result);
  else {
    // What was written, a note: stderr (the stream rule; --json puts the result on stdout).
    console.error(`${result.arch} ${result.from} → ${to}: ${result.tensors} tensors written to ${output}`);
    if (result.nonBackbone.length > 0)
      console.error(
        `  ${result.keptNonBackbone > 0 ? 'kept' : 'dropped'} ${result.nonBackbone.length} non-backbone key${result.nonBackbone.length === 1 ? '' : 's'} (${prefixes(result.nonBackbone)})`,
      );
    if (result.leftOut.length > 0)
      console.error(
        `  left out ${result.leftOut.length} key(s) ${to} does not hold: ${[...new Set(result.leftOut.map((k) => k.split('.').pop()))].join(', ')}`,
      );
  }
  return EXIT.OK;
}
