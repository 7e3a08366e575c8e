import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { loadBackboneWeights } from '../../../src/models/backbones/load.js';
import { ResNet } from '../../../src/models/backbones/resnet.js';
import { assertClose, py } from '../../helpers.js';
import { BACKBONES } from '../../../src/models/registries.js';
import '../../../src/builtins.js';

const dir = mkdtempSync(join(tmpdir(), 'selfsup-resnet-'));

/** torchvision model with random weights and random BN statistics, its logits and pooled features. */
function torchvisionReference(depth: number, size: number) {
  const ckpt = join(dir, `tv_resnet${depth}.pth`);
  const input = join(dir, `x${depth}.pth`);
  const ref = py<{ logits: number[][]; feat: number[][]; keys: string[] }>(
    `import torchvision
torch.manual_seed(${depth})
m = torchvision.models.resnet${depth}(num_classes=7)
for mod in m.modules():
    if isinstance(mod, torch.nn.BatchNorm2d):
        mod.running_mean.uniform_(-0.2, 0.2); mod.running_var.uniform_(0.5, 1.5); mod.weight.data.uniform_(0.5, 1.5); mod.bias.data.uniform_(-0.2, 0.2)
m.eval()
x = torch.randn(2, 3, ${size}, ${size})
torch.save(m.state_dict(), D['ckpt']); torch.save({'x': x}, D['input'])
with torch.no_grad():
    f = torch.flatten(m.avgpool(m.layer4(m.layer3(m.layer2(m.layer1(m.maxpool(m.relu(m.bn1(m.conv1(x))))))))), 1)
    OUT = {'logits': m(x), 'feat': f, 'keys': list(m.state_dict().keys())}`,
    { ckpt, input },
  );
  return { ckpt, input, ref };
}

for (const depth of [18, 50] as const) {
  test(`ResNet-${depth} loads torchvision weights and matches its features and logits (float32, 1e-4)`, () => {
    const { ckpt, input, ref } = torchvisionReference(depth, depth === 18 ? 64 : 32);
    torch.tidy(() => {
      const net = new ResNet({ depth }).eval();
      const sd = torch.load(ckpt) as Record<string, torch.Tensor>;
      const res = loadBackboneWeights(net, sd);
      assert.deepEqual(res.missingKeys, []);
      assert.deepEqual(res.unexpectedKeys.sort(), ['fc.bias', 'fc.weight']);
      // Our state-dict keys are torchvision's, in torchvision's order (without the classifier).
      assert.deepEqual(
        Object.keys(net.stateDict()),
        ref.keys.filter((k) => !k.startsWith('fc.')),
      );
      const x = (torch.load(input) as { x: torch.Tensor }).x;
      const feat = torch.noGrad(() => torch.F.adaptiveAvgPool2d(net.forwardFeatures(x), 1).flatten(1));
      assertClose(feat, ref.feat, 1e-4, 'pooled features');
      const logits = torch.F.linear(feat, sd['fc.weight'], sd['fc.bias']);
      assertClose(logits, ref.logits, 1e-4, 'logits');
      const [c4] = torch.noGrad(() => net.forward(x));
      assert.equal(c4.shape[1], net.numFeatures);
    });
  });
}

for (const depth of [18, 50] as const) {
  test(`ResNet-${depth} in training mode: stage outputs, gradients and BN statistics match torchvision's`, () => {
    // The blocks free each intermediate handle once consumed (resnet.ts `consume`); autograd must
    // still see every saved tensor, and out indices must still return each requested stage.
    const ckpt = join(dir, `train_resnet${depth}.pth`);
    const input = join(dir, `train_x${depth}.pth`);
    const ref = py<{ stages: number[][][][][]; gx: number[][][][]; g: Record<string, number[]>; rm: number[] }>(
      `import torchvision
torch.manual_seed(${depth + 1})
m = torchvision.models.resnet${depth}()
m.train()
x = torch.randn(2, 3, 32, 32, requires_grad=True)
torch.save(m.state_dict(), D['ckpt']); torch.save({'x': x.detach()}, D['input'])
h = m.maxpool(m.relu(m.bn1(m.conv1(x))))
stages = []
for l in (m.layer1, m.layer2, m.layer3, m.layer4):
    h = l(h); stages.append(h)
loss = sum((s * torch.linspace(-1, 1, s.numel()).view(s.shape)).sum() for s in (stages[1], stages[3]))
loss.backward()
OUT = {'stages': [stages[1], stages[3]], 'gx': x.grad,
       'g': {k: p.grad.flatten()[:64] for k, p in m.named_parameters() if k in ('conv1.weight', 'layer1.0.conv1.weight', 'layer3.1.bn2.weight', 'layer4.0.downsample.0.weight')},
       'rm': m.layer2[0].bn1.running_mean}`,
      { ckpt, input },
    );
    torch.tidy(() => {
      const net = new ResNet({ depth, outIndices: [1, 3] });
      loadBackboneWeights(net, torch.load(ckpt) as Record<string, torch.Tensor>);
      net.train();
      const x = (torch.load(input) as { x: torch.Tensor }).x.requiresGrad_(true);
      const stages = net.forward(x);
      assert.equal(stages.length, 2);
      assertClose(stages[0], ref.stages[0], 1e-4, 'stage 2 output');
      assertClose(stages[1], ref.stages[1], 1e-4, 'stage 4 output');
      const weight = (s: torch.Tensor) => torch.linspace(-1, 1, s.numel()).view(...s.shape);
      stages[0]
        .mul(weight(stages[0]))
        .sum()
        .add(stages[1].mul(weight(stages[1])).sum())
        .backward();
      assertClose(x.grad as torch.Tensor, ref.gx, 1e-3, 'input gradient');
      const params = Object.fromEntries(net.namedParameters());
      for (const [k, g] of Object.entries(ref.g)) {
        assertClose((params[k].grad as torch.Tensor).flatten().index(torch.slice(0, 64)), g, 1e-3, `${k} gradient`);
      }
      const rm = net.stateDict()['layer2.0.bn1.running_mean'];
      assertClose(rm, ref.rm, 1e-5, 'layer2.0.bn1 running mean');
    });
  });
}

test('round trip: a selfsup ResNet saved as .pth loads into torchvision and gives the same outputs', () => {
  const path = join(dir, 'ours18.pth');
  const xpath = join(dir, 'x_ours.pth');
  const ours = torch.tidy(() => {
    torch.manualSeed(5);
    const net = new ResNet({ depth: 18 });
    const x = torch.randn([2, 3, 48, 48]);
    // A few training-mode forwards move the BN running statistics away from their init.
    torch.noGrad(() => {
      for (let i = 0; i < 3; i++) net.forwardFeatures(x.mul(i + 1));
    });
    net.eval();
    torch.save(net.stateDict(), path);
    torch.save({ x }, xpath);
    return torch.noGrad(() => torch.F.adaptiveAvgPool2d(net.forwardFeatures(x), 1).flatten(1)).toList() as number[][];
  });
  const theirs = py<number[][]>(
    `import torchvision
m = torchvision.models.resnet18()
r = m.load_state_dict(torch.load(D['path']), strict=False)
assert r.missing_keys == ['fc.weight', 'fc.bias'] and not r.unexpected_keys, r
m.eval(); m.fc = torch.nn.Identity()
with torch.no_grad(): OUT = m(torch.load(D['x'])['x'])`,
    { path, x: xpath },
  );
  assertClose(ours, theirs, 1e-4, 'torchvision features of selfsup weights');
});

test('CIFAR stem, width multiplier, out indices and the registry', () => {
  torch.tidy(() => {
    const net = BACKBONES.build({ type: 'ResNet', depth: 18, cifarStem: true, widthMultiplier: 0.25, outIndices: [0, 1, 2, 3] });
    const outs = torch.noGrad(() => net.eval().forward(torch.randn([2, 3, 32, 32])));
    assert.deepEqual(
      outs.map((o) => o.shape),
      [
        [2, 16, 32, 32],
        [2, 32, 16, 16],
        [2, 64, 8, 8],
        [2, 128, 4, 4],
      ],
    );
    assert.deepEqual(net.stageChannels, [16, 32, 64, 128]);
    assert.equal((net as ResNet).conv1?.kernelSize[0], 3);
    assert.throws(
      () => BACKBONES.build({ type: 'ResNett', depth: 18 }),
      /unknown backbones type 'ResNett'; did you mean 'ResNet'/,
    );
    const r50 = new ResNet({ depth: 50, outIndices: [-1] });
    assert.equal(r50.numFeatures, 2048);
    assert.equal(r50.numParameters(), 23508032, 'torchvision resnet50 without fc: 25557032 − 2049000');
  });
});

test('zeroInitResidual, frozenStages and normEval', () => {
  torch.tidy(() => {
    const net = new ResNet({
      depth: 18,
      zeroInitResidual: true,
      frozenStages: 1,
      normEval: true,
      cifarStem: true,
      widthMultiplier: 0.25,
    });
    assert.equal(net.layers[0].at(0) instanceof torch.Module, true);
    const blocks = [...net.modules()].filter((m) => m.constructor.name === 'BasicBlock') as unknown as {
      bn2: torch.nn.BatchNorm2d;
    }[];
    assert.equal(blocks.length, 8);
    for (const b of blocks) assert.equal((b.bn2.weight as torch.Tensor).abs().sum().item(), 0);
    net.train();
    assert.equal(net.conv1?.weight.requiresGrad, false, 'stem frozen');
    assert.equal(
      net.layers[0].parameters().every((p) => !p.requiresGrad),
      true,
      'stage 1 frozen',
    );
    assert.equal(
      net.layers[1].parameters().every((p) => p.requiresGrad),
      true,
      'stage 2 trainable',
    );
    const bns = [...net.modules()].filter((m) => m instanceof torch.nn.BatchNorm2d);
    assert.ok(
      bns.every((m) => !m.training),
      'normEval keeps every BN in eval mode after train()',
    );
    assert.equal(net.training, true);
    // Frozen stats: a training-mode forward leaves running means unchanged.
    const bn = net.bn1 as torch.nn.BatchNorm2d;
    const before = (bn.runningMean as torch.Tensor).clone();
    net.forward(torch.randn([2, 3, 32, 32]).mul(3));
    assert.ok((bn.runningMean as torch.Tensor).equal(before));
    // Gradients reach the trainable stages only.
    net
      .forwardFeatures(torch.randn([2, 3, 32, 32]))
      .sum()
      .backward();
    assert.equal(net.conv1?.weight.grad, null);
    assert.ok(net.layers[3].parameters().every((p) => p.grad !== null));
  });
});

test('ResNetV1d: deep stem and average-pool shortcut with mmcls keys', () => {
  torch.tidy(() => {
    const net = new ResNet({ depth: 50, v1d: true });
    const keys = Object.keys(net.stateDict());
    for (const k of [
      'stem.0.conv.weight',
      'stem.0.bn.running_var',
      'stem.2.conv.weight',
      'layer1.0.downsample.1.weight',
      'layer2.0.downsample.2.running_mean',
    ]) {
      assert.ok(keys.includes(k), k);
    }
    // V1d: stem convs 3→32→32→64 (3×3), stride 2 in the first; shortcut of layer2 is avgpool(2) then 1×1 stride 1.
    const out = torch.noGrad(() => net.eval().forward(torch.randn([1, 3, 64, 64])));
    assert.deepEqual(out[0].shape, [1, 2048, 2, 2]);
    // By hand: ResNet-50's 23,508,032 − the 7×7 stem (9,408 + BN 128) + the deep stem
    // (3·32·9 + 32·32·9 + 32·64·9 = 28,512 weights + BN 2·(32+32+64) = 256); shortcuts keep their size.
    assert.equal(net.numParameters(), 23508032 - 9408 - 128 + 28512 + 256);
  });
});

test('an MMSelfSup-style checkpoint (meta objects, backbone./neck. prefixes) loads into the backbone', () => {
  const path = join(dir, 'mmselfsup.pth');
  const ref = py<number[][]>(
    `import argparse, torchvision
torch.manual_seed(3)
m = torchvision.models.resnet18(); m.fc = torch.nn.Identity(); m.eval()
sd = {f'backbone.{k}': v for k, v in m.state_dict().items()}
sd['neck.mlp.0.weight'] = torch.randn(4, 512)
torch.save({'meta': {'epoch': 200, 'cfg': argparse.Namespace(lr=0.3)}, 'state_dict': sd}, D['path'])
torch.manual_seed(9)
with torch.no_grad(): OUT = m(torch.randn(1, 3, 40, 40))`,
    { path },
  );
  torch.tidy(() => {
    assert.throws(() => torch.load(path), /refusing to load global 'argparse\.Namespace'/);
    const ckpt = torch.load(path, { unknownGlobals: 'inert' });
    const net = new ResNet({ depth: 18 }).eval();
    const res = loadBackboneWeights(net, ckpt);
    assert.deepEqual(res.missingKeys, []);
    assert.deepEqual(res.unexpectedKeys, [], 'the neck key is not a backbone key once the backbone. prefix is chosen');
    torch.manualSeed(9);
    const x = torch.randn([1, 3, 40, 40]);
    assertClose(
      torch.noGrad(() => torch.F.adaptiveAvgPool2d(net.forwardFeatures(x), 1).flatten(1)),
      ref,
      1e-4,
    );
  });
});

test('frozenStages and normEval hold when the model around the backbone switches to training (as in PyTorch)', () => {
  torch.tidy(() => {
    const net = new ResNet({ depth: 18, frozenStages: 1, normEval: true, cifarStem: true, widthMultiplier: 0.25 });
    const head = new torch.nn.Linear(128, 4);
    // An algorithm-like container: the backbone is a child, not the module switched.
    class Model extends torch.nn.Module<[torch.Tensor], torch.Tensor> {
      readonly backbone = this.registerModule('backbone', net);
      readonly head = this.registerModule('head', head);
      forward(x: torch.Tensor): torch.Tensor {
        return this.head.forward(this.backbone.forward(x)[0].mean([2, 3]));
      }
    }
    const model = new Model();
    model.eval();
    model.train();
    assert.equal(head.training, true);
    assert.equal(net.training, true);
    assert.equal(net.conv1?.weight.requiresGrad, false, 'stem frozen through the parent');
    const bns = [...net.modules()].filter((m) => m instanceof torch.nn.BatchNorm2d);
    assert.equal(bns.length > 0 && bns.every((m) => !m.training), true, 'BN layers stay in eval mode');
    // And a training forward through the parent leaves BN statistics unchanged.
    const bn = net.bn1 as torch.nn.BatchNorm2d;
    const before = (bn.runningMean as torch.Tensor).clone();
    net.forward(torch.randn([2, 3, 32, 32]).mul(3));
    assert.ok((bn.runningMean as torch.Tensor).equal(before));
  });
});
