import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { permutation } from '../../src/data/loader/samplers.js';
import { LinearClassifier, linearProbe } from '../../src/evaluation/linear-probe.js';
import { assertClose, py } from '../helpers.js';

/** Gaussian clusters around well-separated centres: linearly separable with margin. */
function clusters(n: number, dim: number, classes: number, spread: number, centres: torch.Tensor) {
  const labels = torch.arange(0, n, 1, { dtype: 'int64' }).remainder(classes);
  const features = centres.indexSelect(0, labels).add(torch.randn([n, dim]).mul(spread));
  return { features, labels };
}

test('linearProbe reaches 100% on linearly separable features (SGD and LARS, each normalisation)', () => {
  torch.manualSeed(3);
  torch.tidy(() => {
    const centres = torch.randn([4, 8]).mul(4);
    const train = clusters(200, 8, 4, 0.5, centres);
    const test = clusters(80, 8, 4, 0.5, centres);
    for (const norm of ['none', 'batchnorm', 'standardize'] as const) {
      const before = torch.memory().liveTensors;
      const r = linearProbe(train, test, { epochs: 10, batchSize: 32, lr: 0.1, norm, seed: 1 });
      // Nothing leaks: only the classifier's parameters and buffers are new.
      const own = r.classifier.parameters().length + r.classifier.buffers().length;
      assert.equal(torch.memory().liveTensors - before, own, `${norm}: live tensors`);
      assert.equal(r.top1, 100, `${norm}: top-1 ${r.top1}`);
      assert.equal(r.top5, 100);
      assert.equal(r.trainLoss.length, 10);
      assert.ok(r.trainLoss[9] < r.trainLoss[0] / 3, `${norm}: loss ${r.trainLoss[0]} → ${r.trainLoss[9]}`);
      r.classifier.dispose();
    }
    const lars = linearProbe(train, test, {
      epochs: 10,
      batchSize: 32,
      optimizer: 'lars',
      lr: 20,
      norm: 'batchnorm',
      warmupEpochs: 2,
    });
    assert.equal(lars.top1, 100, `LARS top-1 ${lars.top1}`);
    // Warm-up from 1e-4·lr, per iteration (7 iterations per epoch), then the cosine from epoch 2.
    assert.ok(Math.abs(lars.lr[0] - 2e-3) < 1e-12, `lr[0] ${lars.lr[0]}`);
    assertClose([lars.lr[2], lars.lr[6]], [20, (20 * (1 + Math.cos((Math.PI * 4) / 8))) / 2], 1e-9, 'lr schedule');
    lars.classifier.dispose();
  });
});

test('linearProbe matches a python3-torch run of the same training (same init, order, hyper-parameters)', () => {
  torch.manualSeed(11);
  const [n, dim, classes, bs, epochs, seed] = [26, 5, 3, 8, 4, 5];
  const lr = 0.5;
  const wd = 1e-3;
  torch.tidy(() => {
    const centres = torch.randn([classes, dim]).mul(1.5);
    const train = clusters(n, dim, classes, 1, centres);
    const test = clusters(12, dim, classes, 1, centres);
    const W = torch.randn([classes, dim]).mul(0.3);
    const b = torch.randn([classes]).mul(0.1);
    const perms = Array.from({ length: epochs }, (_, e) => permutation(n, seed + e));
    const ref = py<Record<string, { W: number[][]; b: number[]; losses: number[]; logits: number[][] }>>(
      `
import torch.nn.functional as Fn
X = torch.tensor(D['X'], dtype=torch.float32); y = torch.tensor(D['y'])
Xt = torch.tensor(D['Xt'], dtype=torch.float32)
OUT = {}
for norm in ['none', 'batchnorm', 'standardize']:
    lin = torch.nn.Linear(X.shape[1], D['C'])
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(D['W'])); lin.bias.copy_(torch.tensor(D['b']))
    pre = torch.nn.Identity()
    if norm == 'batchnorm':
        pre = torch.nn.BatchNorm1d(X.shape[1], affine=False, eps=1e-6)
    elif norm == 'standardize':
        mu, sd = X.mean(0), X.std(0, unbiased=False)
        pre = lambda v: (v - mu) / sd
    model = lambda v: lin(pre(v))
    opt = torch.optim.SGD(lin.parameters(), lr=D['lr'], momentum=0.9, weight_decay=D['wd'])
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=D['epochs'])
    losses = []
    for e in range(D['epochs']):
        if norm == 'batchnorm': pre.train()
        perm = D['perms'][e]; total = 0.0
        for s in range(0, X.shape[0], D['bs']):
            idx = torch.tensor(perm[s:s + D['bs']])
            loss = Fn.cross_entropy(model(X[idx]), y[idx])
            opt.zero_grad(); loss.backward(); opt.step()
            total += loss.item() * len(idx)
        losses.append(total / X.shape[0]); sched.step()
    if norm == 'batchnorm': pre.eval()
    with torch.no_grad():
        OUT[norm] = {'W': lin.weight, 'b': lin.bias, 'losses': losses, 'logits': model(Xt)}
`,
      {
        X: train.features.toList(),
        y: train.labels.toList(),
        Xt: test.features.toList(),
        W: W.toList(),
        b: b.toList(),
        C: classes,
        perms,
        lr,
        wd,
        bs,
        epochs,
      },
    );
    for (const norm of ['none', 'batchnorm', 'standardize'] as const) {
      const r = linearProbe(train, test, {
        epochs,
        batchSize: bs,
        lr,
        weightDecay: wd,
        norm,
        seed,
        init: { weight: W, bias: b },
      });
      const want = ref[norm];
      assertClose(r.trainLoss, want.losses, 1e-5, `${norm}: per-epoch loss`);
      assertClose(r.classifier.fc.weight, want.W, 1e-5, `${norm}: weight`);
      assertClose(r.classifier.fc.bias as torch.Tensor, want.b, 1e-5, `${norm}: bias`);
      r.classifier.eval();
      const logits = torch.noGrad(() => r.classifier.forward(test.features));
      assertClose(logits, want.logits, 1e-5, `${norm}: test logits`);
      // The probe moved: the final weights are far from the initial ones.
      assert.ok(r.classifier.fc.weight.sub(W).abs().max().item() > 0.1);
      r.classifier.dispose();
    }
  });
});

test("MAE's probe head: BatchNorm1d(affine=False, eps=1e-6) before fc — no BN parameters, PyTorch's batch and running statistics", () => {
  torch.manualSeed(5);
  torch.tidy(() => {
    const clf = new LinearClassifier(6, 3, 'batchnorm');
    // Only the linear layer trains; the norm has statistics but no affine parameters.
    assert.deepEqual(
      [...clf.namedParameters()].map(([n]) => n),
      ['fc.weight', 'fc.bias'],
    );
    assert.deepEqual(Object.keys(clf.stateDict()).sort(), [
      'bn.num_batches_tracked',
      'bn.running_mean',
      'bn.running_var',
      'fc.bias',
      'fc.weight',
    ]);
    assert.equal(clf.bn?.eps, 1e-6);
    // Features on very different scales per dimension (what the norm makes the probe insensitive to).
    const scale = torch.tensor([1e-3, 0.1, 1, 10, 100, 1e3]);
    const xs = [torch.randn([10, 6]).mul(scale).add(3), torch.randn([7, 6]).mul(scale).sub(1)];
    const bn = clf.bn as torch.nn.BatchNorm1d;
    clf.train();
    const trainOut = xs.map((x) => bn.forward(x));
    const logits = clf.forward(xs[1]);
    assert.deepEqual(logits.shape, [7, 3]);
    clf.eval();
    const evalOut = bn.forward(xs[0]);
    const ref = py<{ train: number[][][]; mean: number[]; var: number[]; count: number; eval: number[][] }>(
      `bn = torch.nn.BatchNorm1d(6, affine=False, eps=1e-6)
xs = [torch.tensor(x) for x in D['xs']]
train = [bn(x) for x in xs]
bn(xs[1])
bn.eval()
OUT = {'train': train, 'mean': bn.running_mean, 'var': bn.running_var, 'count': int(bn.num_batches_tracked), 'eval': bn(xs[0])}`,
      { xs: xs.map((x) => x.toList()) },
    );
    for (const [i, y] of trainOut.entries()) assertClose(y, ref.train[i], 1e-4, `batch ${i}: normalised features`);
    assertClose(bn.runningMean as torch.Tensor, ref.mean, 1e-4, 'running mean');
    assertClose(bn.runningVar as torch.Tensor, ref.var, 1e-3, 'running var (unbiased)');
    assert.equal(bn.numBatchesTracked?.item(), ref.count);
    assertClose(evalOut, ref.eval, 1e-4, 'eval mode uses the running statistics');
    // In train mode every dimension comes out with mean 0 and biased variance v / (v + ε): 1 unless v
    // is near ε = 1e-6 (the 1e-3 scale's v ≈ 1e-6 gives about ½).
    assertClose(trainOut[0].mean(0), [0, 0, 0, 0, 0, 0], 1e-3, 'batch means (float32 of features offset by 3 at scale 1e-3)');
    const v = xs[0].double().var(0, { unbiased: false });
    assertClose(trainOut[0].var(0, { unbiased: false }), v.div(v.add(1e-6)), 2e-3, 'batch variances');
    clf.dispose();
  });
});
