/**
 * A new backbone as a user module: a plain ConvNet of `stages` conv-BN-ReLU blocks, each halving
 * the resolution with a stride-2 3×3 convolution and doubling the width (a small CNN for 32 px
 * images). Input `(N, C, H, W)`; stage i outputs `(N, width·2ⁱ, H/2^(i+1), W/2^(i+1))`. It follows
 * the uniform backbone interface (timm's): `forward` returns the `outIndices` stage outputs,
 * `frozenStages` and `normEval` as MMSelfSup's backbones.
 */
import * as torch from '@selfsup/torch';
import { nn, type Tensor } from '@selfsup/torch';
import { BACKBONES, Backbone, backboneShape, definePart, posInt, resolveOutIndices, z } from 'selfsup';

export const convNetSchema = z.strictObject({
  ...backboneShape,
  /** Channels of the first stage (doubled at every stage). Default 16. */
  width: posInt().optional(),
  /** Number of stages. Default 3. */
  stages: posInt().optional(),
  inChannels: posInt().optional(),
});
export type ConvNetOptions = z.input<typeof convNetSchema>;

export class ConvNet extends Backbone {
  readonly numFeatures: number;
  readonly stageChannels: number[];
  readonly outIndices: number[];
  readonly blocks: nn.Sequential[] = [];

  constructor(readonly o: ConvNetOptions = {}) {
    super();
    const width = o.width ?? 16;
    const n = o.stages ?? 3;
    this.stageChannels = Array.from({ length: n }, (_, i) => width * 2 ** i);
    this.numFeatures = this.stageChannels[n - 1];
    this.outIndices = resolveOutIndices(o.outIndices ?? [n - 1], n, 'ConvNet');
    let inC = o.inChannels ?? 3;
    for (let i = 0; i < n; i++) {
      const c = this.stageChannels[i];
      const block = new nn.Sequential(
        new nn.Conv2d(inC, c, 3, { stride: 2, padding: 1, bias: false }),
        new nn.BatchNorm2d(c),
        new nn.ReLU(),
      );
      this.blocks.push(this.registerModule(`stage${i}`, block));
      inC = c;
    }
  }

  forward(x: Tensor): Tensor[] {
    return torch.tidy(() => {
      const outs: Tensor[] = [];
      let h = x;
      this.blocks.forEach((b, i) => {
        h = b.forward(h);
        if (this.outIndices.includes(i)) outs.push(h);
      });
      return outs;
    });
  }

  forwardFeatures(x: Tensor): Tensor {
    return torch.tidy(() => this.blocks.reduce((h, b) => b.forward(h), x));
  }

  initWeights(): void {
    for (const b of this.blocks) for (const m of b.modules()) if (m instanceof nn.Conv2d) nn.init.kaimingNormal_(m.weight);
  }

  protected applyFreezing(): void {
    const frozen = this.o.frozenStages ?? -1;
    this.blocks.forEach((b, i) => {
      if (i < frozen) {
        b.eval();
        for (const p of b.parameters()) p.requiresGrad_(false);
      }
    });
    if (this.o.normEval) for (const m of this.modules()) if (m instanceof nn.BatchNorm2d) m.eval();
  }
}

export const convNetPart = definePart({
  registry: BACKBONES,
  name: 'ConvNet',
  schema: convNetSchema,
  description: 'a plain ConvNet of stride-2 conv-BN-ReLU stages',
  build: (o) => new ConvNet(o),
});

BACKBONES.register(convNetPart);
