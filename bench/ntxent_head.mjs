// SimCLR's loss two ways on the same projections (N=256, D=128, 2 threads): the masked similarity
// matrix (how selfsup computed NT-Xent before 2026-12-04) and the ContrastiveHead on ntxentPairs
// (MMSelfSup's form, used now). Run after `npm run build`: node bench/ntxent_head.mjs
const torch = await import('../packages/torch/dist/src/index.js');
const { ntxentPairs } = await import('../packages/selfsup/dist/src/models/losses/ntxent.js');
const { contrastiveLoss } = await import('../packages/selfsup/dist/src/models/losses/info-nce.js');
torch.setNumThreads(2);
const n = 256,
  d = 128,
  t = 0.2;
const z1 = torch.randn([n, d]).requiresGrad_(true),
  z2 = torch.randn([n, d]).requiresGrad_(true);
const old = () =>
  torch.tidy(() => {
    const z = torch.F.normalize(torch.cat([z1, z2], 0), { dim: 1 });
    const rows = torch.arange(0, 2 * n, 1, { dtype: 'int64' });
    const pos = rows.add(n).remainder(2 * n);
    const sim = z.matmul(z.t()).div(t);
    const self = torch.zeros(sim.shape, { dtype: 'bool' }).scatter(1, rows.unsqueeze(1), true);
    const l = torch.F.crossEntropy(sim.maskedFill(self, Number.NEGATIVE_INFINITY), pos);
    l.backward();
    return l.item();
  });
const neu = () =>
  torch.tidy(() => {
    const { pos, neg } = ntxentPairs(z1, z2, { gather: false });
    const l = contrastiveLoss(pos, neg, t);
    l.backward();
    return l.item();
  });
for (const [name, f] of [
  ['masked sim (before)', old],
  ['pairs + head (now)', neu],
  ['masked sim (before)', old],
  ['pairs + head (now)', neu],
]) {
  for (let i = 0; i < 5; i++) f();
  const ts = [];
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) f();
    ts.push((performance.now() - t0) / 20);
  }
  ts.sort((a, b) => a - b);
  console.log(`${name}: median ${ts[3].toFixed(2)} ms per loss+backward (N=${n}, D=${d}); loss ${f().toFixed(6)}`);
}
