import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { complexity, humanCount } from '../../src/analysis/complexity.js';
import { ResNet } from '../../src/models/backbones/resnet.js';
import { VisionTransformer } from '../../src/models/backbones/vit.js';
import { py } from '../helpers.js';

test('ResNet-18 at 224²: params and conv/linear MACs equal torchvision counted with forward hooks in Python', () => {
  const net = new ResNet({ depth: 18 });
  const c = complexity(net, () => net.forward(torch.zeros([1, 3, 224, 224])));
  const ref = py<{ params: number; macs: number }>(
    `import torchvision
m = torchvision.models.resnet18()
m.fc = torch.nn.Identity()
macs = [0]
def hook(mod, inp, out):
    if isinstance(mod, torch.nn.Conv2d):
        macs[0] += out.numel() * mod.in_channels // mod.groups * mod.kernel_size[0] * mod.kernel_size[1]
for mod in m.modules():
    if isinstance(mod, torch.nn.Conv2d): mod.register_forward_hook(hook)
m(torch.zeros(1, 3, 224, 224))
OUT = {'params': sum(p.numel() for p in m.parameters()), 'macs': macs[0]}`,
  );
  assert.equal(c.params, ref.params);
  assert.equal(c.flops, ref.macs);
  // The well-known figure: 1.82 GMACs for ResNet-18 (without its classifier: 1.8184 G).
  assert.equal(humanCount(c.flops), '1.814 G');
});

test('ViT: linear layers plus 2·L²·C per attention, by hand', () => {
  const vit = new VisionTransformer({ arch: 'small', imgSize: 32, patchSize: 8, depth: 2 });
  const n = 2;
  const c = complexity(vit, () => vit.forward(torch.zeros([n, 3, 32, 32])));
  const C = 384;
  const L = (32 / 8) ** 2 + 1;
  const patch = n * (L - 1) * C * 3 * 8 * 8;
  const perBlock = n * L * (C * 3 * C + C * C + C * 4 * C + 4 * C * C) + 2 * n * L * L * C;
  assert.equal(c.flops, patch + 2 * perBlock);
});
