/** `selfsup flops <config>`: parameters and FLOPs of a config's backbone (and whole model) at an input shape. */
import * as torch from '@selfsup/torch';
import { complexity, humanCount } from '../analysis/complexity.js';
import { prepareConfig } from '../engine/config/prepare.js';
import { resolveConfigArg } from './config-arg.js';
import { importUserModules } from '../core/user-modules.js';
import '../builtins.js';
import { EXIT, printJson, UsageError } from './args.js';
import { defineCommand, runCommand } from './command.js';
import { ALGORITHMS } from '../models/registries.js';

export const FLOPS_USAGE = `usage: selfsup flops <config> [--shape C,H,W] [--import FILE] [--cfg-options K=V ...] [--json]

Parameters and FLOPs (multiply-accumulates of convolutions, linear layers and attention, as
fvcore/MMEngine count them) of the config's backbone for one image of the given shape
(default 3,224,224), plus the whole algorithm's parameter count.
`;

export const FLOPS = defineCommand({
  name: 'flops',
  summary: "parameters and FLOPs of a config's backbone at an input shape",
  usage: FLOPS_USAGE,
  args: '<config>',
  options: {
    shape: { type: 'string', default: '3,224,224' },
    import: { type: 'string', multiple: true },
    json: { type: 'boolean' },
  } as const,
  cfgOptions: true,
  run: runFlops,
});

/** Runs `selfsup flops <argv>`; returns the exit code. */
export const flops = (argv: string[]): Promise<number> => runCommand(FLOPS, argv);

async function runFlops(
  values: { shape?: string; import?: string[]; json?: boolean },
  positionals: string[],
  cfgOptions: string[],
): Promise<number> {
  const shape = (values.shape as string).split(',').map(Number);
  if (shape.length !== 3 || shape.some((d) => !Number.isInteger(d) || d <= 0))
    throw new UsageError(`--shape: expected C,H,W positive integers, got '${values.shape}'`);
  await importUserModules(values.import ?? []);
  const cfg = prepareConfig(resolveConfigArg(positionals[0]), cfgOptions);
  const model = ALGORITHMS.build(cfg.model, 'model');
  model.eval();
  const c = complexity(model.backbone, () => model.backbone.forward(torch.zeros([1, ...shape])));
  const total = model.parameters().reduce((s, p) => s + p.numel(), 0);
  const result = {
    backbone: model.backbone.constructor.name,
    inputShape: shape,
    flops: c.flops,
    params: c.params,
    modelParams: total,
  };
  if (values.json) printJson(result);
  else
    console.log(
      `${cfg.model.type} backbone ${result.backbone}, input ${shape.join('×')}\n` +
        `  FLOPs:  ${humanCount(c.flops)}\n  params: ${humanCount(c.params)} (backbone), ${humanCount(total)} (whole model)`,
    );
  return EXIT.OK;
}
