/**
 * Loading a frozen tokenizer's weights (BEiT's DALL-E encoder, BEiT v2's VQ-KD) from the `.pth` the
 * user supplies (MMSelfSup's `init_cfg=dict(type='Pretrained', checkpoint=…)`, our `tokenizerPath`).
 * Nothing is downloaded: a missing file is an error naming the config key and the checkpoint
 * expected; keys the tokenizer lacks (VQ-KD's decoder, the quantiser's EMA statistics) are ignored,
 * keys it needs and the file lacks are an error listing them.
 */
import { existsSync } from 'node:fs';
import * as torch from '@selfsup/torch';
import type { nn, Tensor } from '@selfsup/torch';
import { unwrapStateDict } from '../backbones/load.js';

/** Loads `path` into `module` (strictly for its own keys), after `adapt` renames the file's keys; then freezes it. */
export function loadTokenizerWeights(
  module: nn.AnyModule,
  path: string,
  o: { who: string; key: string; expected: string; adapt?: (sd: Record<string, Tensor>) => Record<string, Tensor> },
): void {
  if (!existsSync(path))
    throw new Error(
      `${o.who}: ${o.key} '${path}' does not exist; it should be ${o.expected} (see docs/algorithms.md, "BEiT tokenizers")`,
    );
  const ckpt = torch.load(path, { unknownGlobals: 'inert' });
  let sd = unwrapStateDict(ckpt, '');
  // An MMSelfSup algorithm checkpoint: its tokenizer's part.
  if (Object.keys(sd).some((k) => k.startsWith('target_generator.')))
    sd = Object.fromEntries(
      Object.entries(sd)
        .filter(([k]) => k.startsWith('target_generator.'))
        .map(([k, v]) => [k.slice('target_generator.'.length), v]),
    );
  if (o.adapt) sd = o.adapt(sd);
  const own = module.stateDict();
  const missing = Object.keys(own).filter((k) => !(k in sd));
  if (missing.length > 0)
    throw new Error(
      `${o.who}: ${o.key} '${path}' lacks ${missing.length} of the tokenizer's weights (${missing.slice(0, 5).join(', ')}${
        missing.length > 5 ? ', …' : ''
      }); it should be ${o.expected}`,
    );
  module.loadStateDict(Object.fromEntries(Object.entries(sd).filter(([k]) => k in own)), { strict: true });
  module.eval().requiresGrad_(false);
}
