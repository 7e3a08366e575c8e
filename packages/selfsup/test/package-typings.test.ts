/**
 * The published typings as a consumer sees them: a temp project imports `selfsup` and
 * `@selfsup/torch` from their built `dist` (through node_modules links, as an install gives) and
 * `tsc` checks it with a plain strict tsconfig: module nodenext, target ES2022 with its default lib
 * (no `esnext`), `types: ['node']`, and no skipLibCheck, so every shipped .d.ts is checked. The
 * file also uses a module backbone and `using`, and two `@ts-expect-error`s: a misspelt option of a
 * nested part and a value of the wrong type must stay type errors (an unused one fails tsc).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

const MAIN = `import * as torch from '@selfsup/torch';
import { F, nn, type Tensor } from '@selfsup/torch';
import { ALGORITHMS, type BackboneConfig, SimCLR } from 'selfsup';

class Net extends nn.Module {
  readonly outChannels = 4;
  readonly conv = this.registerModule('conv', new nn.Conv2d(3, 4, 3));
  forward(x: Tensor): Tensor {
    return F.relu(this.conv.forward(x));
  }
}
const neck = { type: 'NonLinearNeck', inChannels: 4, hidChannels: 8, outChannels: 2 } as const;
const head = { type: 'ContrastiveHead', temperature: 0.1 } as const;
export const a: SimCLR = new SimCLR({ backbone: new Net(), neck, head });
export const b = ALGORITHMS.build({ type: 'SimCLR', backbone: { type: 'ResNet', depth: 18 }, neck, head });
export const cfg: BackboneConfig = { type: 'ResNet', depth: 18, cifarStem: true, widthMultiplier: 0.25 };
// @ts-expect-error a misspelt option of a nested part
new SimCLR({ backbone: { type: 'ResNet', depht: 18 }, neck, head });
// @ts-expect-error a value of the wrong type
export const bad: BackboneConfig = { type: 'ResNet', depth: '18' };
export function shape(): number[] {
  using t = torch.zeros([2, 3]);
  return t.shape;
}
`;

test('a strict consumer project type-checks against the packages’ dist typings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfsup-consumer-'));
  mkdirSync(join(dir, 'node_modules/@selfsup'), { recursive: true });
  symlinkSync(join(ROOT, 'packages/selfsup'), join(dir, 'node_modules/selfsup'), 'dir');
  symlinkSync(join(ROOT, 'packages/torch'), join(dir, 'node_modules/@selfsup/torch'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        module: 'nodenext',
        target: 'ES2022',
        noEmit: true,
        types: ['node'],
        // The temp project has no node_modules/@types of its own: the repo's @types/node (a peer dependency).
        typeRoots: [join(ROOT, 'node_modules/@types')],
      },
      include: ['main.ts'],
    }),
  );
  writeFileSync(join(dir, 'main.ts'), MAIN);
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
