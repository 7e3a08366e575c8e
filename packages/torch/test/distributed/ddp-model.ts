// The model, data and training loop shared by the DDP equivalence test and its workers.
import * as torch from '../../src/index.js';

const { nn } = torch;

export class SmallNet extends nn.Module {
  readonly conv = this.registerModule('conv', new nn.Conv2d(3, 6, 3, { padding: 1 }));
  readonly bn: torch.nn.BatchNorm2d | torch.nn.SyncBatchNorm;
  readonly fc = this.registerModule('fc', new nn.Linear(6, 4));

  constructor(sync: boolean) {
    super();
    this.bn = this.registerModule('bn', sync ? new nn.SyncBatchNorm(6) : new nn.BatchNorm2d(6));
  }

  forward(x: torch.Tensor): torch.Tensor {
    return torch.tidy(() =>
      this.fc.forward(torch.F.adaptiveAvgPool2d(torch.F.relu(this.bn.forward(this.conv.forward(x))), 1).flatten(1)),
    );
  }
}

export const STEPS = 4;
export const BATCH = 8;

/** The full batch of step `s` (both ranks' halves), the same in every process. */
export function batch(s: number): { x: torch.Tensor; y: torch.Tensor } {
  const g = new torch.Generator().manualSeed(100 + s);
  const x = torch.randn([2 * BATCH, 3, 6, 6], { generator: g });
  const y = torch.randint(0, 4, [2 * BATCH], { generator: g });
  g.dispose();
  return { x, y };
}

/** SGD steps on `rows` of each full batch; `sync` averages gradients across ranks. */
export function train(model: torch.Module, rows: [number, number], sync: () => void): Record<string, number[]> {
  for (let s = 0; s < STEPS; s++) {
    torch.tidy(() => {
      const { x, y } = batch(s);
      const loss = torch.F.crossEntropy(model.forward(x.narrow(0, rows[0], rows[1])), y.narrow(0, rows[0], rows[1]));
      loss.backward();
      sync();
      torch.noGrad(() => {
        for (const p of model.parameters()) {
          p.sub_(p.grad as torch.Tensor, { alpha: 0.1 });
          p.grad = null;
        }
      });
    });
  }
  const out: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(model.stateDict()))
    out[k.replace(/^module\./, '')] = Array.from(v.float().toTypedArray() as Float32Array);
  return out;
}
