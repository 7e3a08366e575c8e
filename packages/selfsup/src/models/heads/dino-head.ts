/**
 * MMSelfSup's `DINOHead` (Caron et al. 2021, arXiv:2104.14294; MMSelfSup `projects/dino`): the
 * DINO loss with its centre, as a head, so that the centre's key is MMSelfSup's `head.center`.
 * It is `DINOLoss` itself (see losses/dino.ts for the formula and the temperature schedule):
 * `forward(student (V·N, K), teacher (2·N, K), progress)` → the 0-d loss.
 */
import { definePart } from '../../core/registry.js';
import { DINOLoss, type DINOLossOptions, dinoLossSchema } from '../losses/dino.js';
import { HEADS } from '../registries.js';

export type DINOHeadOptions = DINOLossOptions;

/** `DINOHead` options (everything but `type`): MMSelfSup's plus the teacher-temperature schedule. */
export const dinoHeadSchema = dinoLossSchema;

export class DINOHead extends DINOLoss {}

/** `DINOHead` in HEADS. */
export const dinoHeadPart = definePart({
  registry: HEADS,
  name: 'DINOHead',
  schema: dinoHeadSchema,
  description: 'DINO: centred, sharpened teacher targets for every student crop; centre EMA (head.center)',
  build: (o) => new DINOHead(o),
});
