/**
 * A few samples drawn at random from a dataset for pictures (augmentation grids, reconstructions,
 * the run report), under the dataset's `onCorrupt` policy as the training loader applies it.
 */
import type { Dataset } from './datasets/base.js';
import { DecodeError } from './decode.js';
import type { Sample } from './image.js';
import { permutation } from './loader/samplers.js';

/** What to do with an image that does not decode: the `onCorrupt` option of a data loader. */
export type CorruptPolicy = 'error' | 'skip';

/**
 * The first `n` decodable samples in the `seed` permutation of `dataset` (fewer when the dataset
 * is smaller). With `'skip'` an undecodable image is passed over with a warning naming its file
 * and the next one in the permutation takes its place, so a grid keeps its `n` rows; with
 * `'error'` (default) its `DecodeError` propagates.
 */
export async function pickSamples(
  dataset: Dataset,
  n: number,
  seed: number,
  onCorrupt: CorruptPolicy = 'error',
): Promise<{ idx: number; sample: Sample }[]> {
  const out: { idx: number; sample: Sample }[] = [];
  for (const idx of permutation(dataset.length, seed)) {
    if (out.length >= n) break;
    try {
      out.push({ idx, sample: await dataset.get(idx) });
    } catch (e) {
      if (onCorrupt !== 'skip' || !(e instanceof DecodeError)) throw e;
      console.warn(`selfsup: skipping undecodable image: ${e.message}`);
    }
  }
  if (out.length === 0 && dataset.length > 0)
    throw new Error(`${dataset.describe()}: none of its ${dataset.length} images decodes (onCorrupt: 'skip' skipped them all)`);
  return out;
}
