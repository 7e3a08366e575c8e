/**
 * Parameter groups from rules (MMEngine's paramwise_cfg) and layer-wise lr decay (MMSelfSup's
 * ViT constructor), checked by hand on small modules.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '../../src/index.js';

const { nn, optim } = torch;

class Net extends torch.Module {
  constructor() {
    super();
    this.registerParameter('pos_embed', torch.zeros([1, 4]));
    this.registerParameter('gamma', torch.ones([4]));
    this.registerModule('conv', new nn.Conv2d(3, 4, 3));
    this.registerModule('bn', new nn.BatchNorm2d(4));
    this.registerModule('dw', new nn.Conv2d(4, 4, 3, { groups: 4 }));
    this.registerModule('ln', new nn.LayerNorm(4));
    this.registerModule('head', new nn.Linear(4, 2));
    this.registerModule('ab', new nn.Linear(2, 2, { bias: false }));
    const frozen = this.registerModule('frozen', new nn.Linear(2, 2));
    frozen.requiresGrad_(false);
  }
  forward(x: torch.Tensor): torch.Tensor {
    return x;
  }
}

test('paramwise rules give each parameter MMEngine’s lr and weight decay', () => {
  const net = new Net();
  const groups = optim.paramwiseGroups(
    net,
    { lr: 0.1, weightDecay: 0.01 },
    {
      bias_lr_mult: 2,
      bias_decay_mult: 0.5,
      norm_decay_mult: 0,
      dwconv_decay_mult: 0.1,
      flat_decay_mult: 0.3,
      custom_keys: {
        head: { lr_mult: 0.1, decay_mult: 0.5 },
        'head.bias': { lr_mult: 3 },
        pos_embed: { decay_mult: 0 },
        conv: { lars_exclude: true },
        'ab.w': { lr_mult: 5 },
        'b.we': { lr_mult: 7 },
      },
    },
  );
  const D = 0.1; // the optimizer's default lr (groups without an lr use it)
  const W = 0.01;
  // name: [lr, weight decay] by hand
  const expected: Record<string, [number, number]> = {
    pos_embed: [0.1, 0], // custom key, decay_mult 0
    gamma: [D, W * 0.3], // 1-D root parameter: flat_decay_mult
    'conv.weight': [0.1, W], // custom key 'conv' (no multipliers), lars_exclude copied
    'conv.bias': [0.1, W], // custom key wins over the bias rules
    'bn.weight': [D, 0], // norm
    'bn.bias': [D, 0], // norm: no bias lr mult, norm decay first
    'dw.weight': [D, W * 0.1], // depthwise conv
    'dw.bias': [0.2, W * 0.5], // bias rules come before the depthwise rule
    'ln.weight': [D, 0],
    'ln.bias': [D, 0],
    'head.weight': [0.1 * 0.1, W * 0.5], // custom key 'head'
    'head.bias': [0.1 * 3, W], // the longest key 'head.bias' wins
    'ab.weight': [0.1 * 5, W], // 'ab.w' and 'b.we' are equally long: alphabetical first
  };
  const opt = new optim.LARS(groups, { lr: D, weightDecay: W });
  const byName = new Map(groups.map((g, i) => [g.paramName, i]));
  for (const [name, [lr, wd]] of Object.entries(expected)) {
    const i = byName.get(name);
    assert.ok(i !== undefined, `no group for ${name}`);
    const g = opt.paramGroups[i];
    assert.ok(Math.abs(g.lr - lr) < 1e-15, `${name}: lr ${g.lr}, expected ${lr}`);
    assert.ok(Math.abs(g.weightDecay - wd) < 1e-15, `${name}: weight decay ${g.weightDecay}, expected ${wd}`);
  }
  assert.equal(opt.paramGroups[byName.get('conv.weight') as number].larsExclude, true);
  assert.equal(opt.paramGroups[byName.get('dw.weight') as number].larsExclude, false);
  // The custom key's multipliers and the parameter's name are kept (and saved) as extra settings.
  assert.deepEqual(opt.paramGroups[byName.get('head.weight') as number].extra, {
    param_name: 'head.weight',
    lr_mult: 0.1,
    decay_mult: 0.5,
  });
  // Frozen parameters get a group of their own with the defaults, as MMEngine.
  const frozen = groups.filter((g) => g.paramName.startsWith('frozen.'));
  assert.equal(frozen.length, 2);
  assert.deepEqual(Object.keys(frozen[0]).sort(), ['paramName', 'params']);
  // Module order, one group per parameter.
  assert.deepEqual(
    groups.map((g) => g.paramName),
    [...net.namedParameters()].map(([n]) => n),
  );
  // Merging joins equal settings (bn and ln share lr D / wd 0, the frozen pair shares nothing set).
  const merged = optim.mergeParamGroups(groups);
  const normGroup = merged.find((g) => (g.paramNames as string[]).includes('bn.weight'));
  assert.deepEqual(normGroup?.paramNames, ['bn.weight', 'bn.bias', 'ln.weight', 'ln.bias']);
  assert.equal(merged.length, groups.length - 3 - 1 - 1);
  opt.dispose();
  net.dispose();
});

test('paramwise rules need a base weight decay for decay multipliers, and reject shared parameters unless bypassed', () => {
  const net = new Net();
  assert.throws(() => optim.paramwiseGroups(net, { lr: 0.1 }, { normDecayMult: 0 }), /base weight decay/);
  const shared = new (class extends torch.Module {
    constructor() {
      super();
      const l = new nn.Linear(2, 2);
      this.registerModule('a', l);
      this.registerModule('b', l);
    }
    forward(x: torch.Tensor): torch.Tensor {
      return x;
    }
  })();
  assert.throws(() => optim.paramwiseGroups(shared, { lr: 0.1 }, {}), /appears twice/);
  const g = optim.paramwiseGroups(shared, { lr: 0.1 }, { bypassDuplicate: true });
  assert.deepEqual(
    g.map((x) => x.paramName),
    ['a.weight', 'a.bias'],
  );
  net.dispose();
  shared.dispose();
});

class PatchEmbed extends torch.Module {
  constructor() {
    super();
    this.registerModule('proj', new nn.Conv2d(3, 8, 4, { stride: 4 }));
  }
  forward(x: torch.Tensor): torch.Tensor {
    return x;
  }
}

class Block extends torch.Module {
  constructor() {
    super();
    this.registerModule('ln', new nn.LayerNorm(8));
    this.registerModule('fc', new nn.Linear(8, 8));
  }
  forward(x: torch.Tensor): torch.Tensor {
    return x;
  }
}

class ViT extends torch.Module {
  constructor() {
    super();
    this.registerParameter('cls_token', torch.zeros([1, 1, 8]));
    this.registerParameter('pos_embed', torch.zeros([1, 5, 8]));
    this.registerModule('patch_embed', new PatchEmbed());
    this.registerModule('layers', new nn.ModuleList([new Block(), new Block(), new Block()]));
    this.registerModule('ln1', new nn.LayerNorm(8));
  }
  forward(x: torch.Tensor): torch.Tensor {
    return x;
  }
}

class Classifier extends torch.Module {
  constructor() {
    super();
    this.registerModule('backbone', new ViT());
    this.registerModule('head', new nn.Linear(8, 10));
  }
  forward(x: torch.Tensor): torch.Tensor {
    return x;
  }
}

test('layer-wise lr decay: layer ids, scales decay^(L+1−id) and no-decay parameters, by hand', () => {
  const model = new Classifier();
  const groups = optim.layerDecayGroups(model, { lr: 1.0, weightDecay: 0.05, layerDecayRate: 0.5 });
  const find = (name: string) => {
    const g = groups.find((x) => x.paramNames.includes(name));
    assert.ok(g, `no group holds ${name}`);
    return g;
  };
  // L = 3 layers: patch/pos/cls → id 0 (scale 0.5⁴), layers.i → i + 1, the rest → 4 (scale 1).
  const expected: [string, string, number, number][] = [
    ['backbone.cls_token', 'layer_0_no_decay', 0.0625, 0],
    ['backbone.pos_embed', 'layer_0_no_decay', 0.0625, 0],
    ['backbone.patch_embed.proj.weight', 'layer_0_decay', 0.0625, 0.05],
    ['backbone.patch_embed.proj.bias', 'layer_0_no_decay', 0.0625, 0],
    ['backbone.layers.0.ln.weight', 'layer_1_no_decay', 0.125, 0],
    ['backbone.layers.0.fc.weight', 'layer_1_decay', 0.125, 0.05],
    ['backbone.layers.1.fc.bias', 'layer_2_no_decay', 0.25, 0],
    ['backbone.layers.2.fc.weight', 'layer_3_decay', 0.5, 0.05],
    ['backbone.ln1.weight', 'layer_4_no_decay', 1, 0],
    ['head.weight', 'layer_4_decay', 1, 0.05],
    ['head.bias', 'layer_4_no_decay', 1, 0],
  ];
  for (const [name, groupName, lr, wd] of expected) {
    const g = find(name);
    assert.equal(g.groupName, groupName, name);
    assert.equal(g.lr, lr, name);
    assert.equal(g.lrScale, lr, name);
    assert.equal(g.weightDecay, wd, name);
  }
  assert.equal(groups.length, 10);
  assert.equal(
    groups.reduce((n, g) => n + g.params.length, 0),
    [...model.namedParameters()].length,
  );
  // The groups feed an optimizer; their labels are kept (and saved) as extra settings.
  const opt = new optim.AdamW(groups, { lr: 1.0, weightDecay: 0.05 });
  assert.equal(opt.paramGroups[0].extra.group_name, groups[0].groupName);
  assert.equal(opt.paramGroups[0].extra.lr_scale, groups[0].lrScale);
  opt.dispose();
  // timm-style names without a backbone prefix.
  assert.equal(optim.vitLayerId('blocks.11.attn.qkv.weight', 12, ''), 12);
  assert.equal(optim.vitLayerId('patch_embed.proj.weight', 12, ''), 0);
  assert.equal(optim.vitLayerId('norm.weight', 12, ''), 13);
  assert.equal(optim.vitLayerId('neck.layers.0.weight', 12), 13);
  model.dispose();
});
