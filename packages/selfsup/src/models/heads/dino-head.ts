/**
 * MMSelfSup's `DINOHead` (Caron et al. 2021, arXiv:2104.14294; MMSelfSup `projects/dino`): the
 * DINO loss with its centre, as a head, so that the centre's key is MMSelfSup's `head.center`.
 * It is `DINOLoss` itself (see losses/dino.ts for the formula and the temperature schedule):
 * `forward(student (V·N, K), teacher (2·N, K), progress)` → the 0-d loss.
 */
import type { nn } from '@selfsup/torch';
import { configOptions, HEADS } from '../../registry.js';
import { DINOLoss, type DINOLossOptions, dinoLossSchema } from '../losses/dino.js';

export type DINOHeadOptions = DINOLossOptions;

/** `DINOHead` options (everything but `type`): MMSelfSup's plus the teacher-temperature schedule. */
export const dinoHeadSchema = dinoLossSchema;

export class DINOHead extends DINOLoss {}

HEADS.register('DINOHead', (cfg) => new DINOHead(configOptions<DINOHeadOptions>(cfg)) as unknown as nn.Module, {
  schema: dinoHeadSchema,
  description: 'DINO: centred, sharpened teacher targets for every student crop; centre EMA (head.center)',
});
