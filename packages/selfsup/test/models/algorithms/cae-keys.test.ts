/**
 * CAE's state-dict keys against MMSelfSup 1.x's, hand-listed from its source for a depth-1 model:
 * `CAEViT` (mmcls `VisionTransformer` + mmselfsup `TransformerEncoderLayer` with `qkv_bias=False`,
 * so `attn.q_bias`/`attn.v_bias` and a bias-free `qkv`), the `teacher` copy, `CAENeck`
 * (`CAETransformerRegressorLayer`, `TransformerEncoderLayer` with `qkv_bias=True`) and DALL-E.
 * `convertMMSelfSupCAEKeys` must turn that list into exactly our keys, and the neck's are ours as is.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { CAENeck, CAEViT, convertMMSelfSupCAEKeys } from '../../../src/index.js';

const mmViT = (p: string) => [
  `${p}.cls_token`,
  `${p}.pos_embed`,
  `${p}.patch_embed.projection.weight`,
  `${p}.patch_embed.projection.bias`,
  `${p}.layers.0.ln1.weight`,
  `${p}.layers.0.ln1.bias`,
  `${p}.layers.0.attn.q_bias`,
  `${p}.layers.0.attn.v_bias`,
  `${p}.layers.0.attn.qkv.weight`,
  `${p}.layers.0.attn.proj.weight`,
  `${p}.layers.0.attn.proj.bias`,
  `${p}.layers.0.ln2.weight`,
  `${p}.layers.0.ln2.bias`,
  `${p}.layers.0.ffn.layers.0.0.weight`,
  `${p}.layers.0.ffn.layers.0.0.bias`,
  `${p}.layers.0.ffn.layers.1.weight`,
  `${p}.layers.0.ffn.layers.1.bias`,
  `${p}.layers.0.gamma_1`,
  `${p}.layers.0.gamma_2`,
  `${p}.ln1.weight`,
  `${p}.ln1.bias`,
];

const mmNeck = [
  ...['norm1_q_cross', 'norm1_k_cross', 'norm1_v_cross', 'norm2_cross'].flatMap((n) => [
    `regressors.0.${n}.weight`,
    `regressors.0.${n}.bias`,
  ]),
  'regressors.0.cross_attn.q.weight',
  'regressors.0.cross_attn.k.weight',
  'regressors.0.cross_attn.v.weight',
  'regressors.0.cross_attn.q_bias',
  'regressors.0.cross_attn.v_bias',
  'regressors.0.cross_attn.proj.weight',
  'regressors.0.cross_attn.proj.bias',
  'regressors.0.ffn.layers.0.0.weight',
  'regressors.0.ffn.layers.0.0.bias',
  'regressors.0.ffn.layers.1.weight',
  'regressors.0.ffn.layers.1.bias',
  'regressors.0.gamma_1_cross',
  'regressors.0.gamma_2_cross',
  'decoders.0.ln1.weight',
  'decoders.0.ln1.bias',
  'decoders.0.attn.qkv.weight',
  'decoders.0.attn.qkv.bias',
  'decoders.0.attn.proj.weight',
  'decoders.0.attn.proj.bias',
  'decoders.0.ln2.weight',
  'decoders.0.ln2.bias',
  'decoders.0.ffn.layers.0.0.weight',
  'decoders.0.ffn.layers.0.0.bias',
  'decoders.0.ffn.layers.1.weight',
  'decoders.0.ffn.layers.1.bias',
  'decoders.0.gamma_1',
  'decoders.0.gamma_2',
  'norm_regressor.weight',
  'norm_regressor.bias',
  'norm_decoder.weight',
  'norm_decoder.bias',
  'head.weight',
  'head.bias',
  'mask_token',
];

const neckOpts = { embedDims: 16, numHeads: 2, regressorDepth: 1, decoderDepth: 1, numClasses: 8, layerScaleInit: 0.1 };
const vitOpts = { embedDim: 16, depth: 1, numHeads: 2, imgSize: 32, patchSize: 8 };

test("CAENeck's state-dict keys are MMSelfSup's CAENeck keys", () => {
  const ours = Object.keys(new CAENeck(neckOpts).stateDict()).sort();
  assert.deepEqual(ours, [...mmNeck].sort());
});

test("without layer scale the regressor keeps MMSelfSup's fixed γ = 1 (stored, not trained) and the decoder none", () => {
  const neck = new CAENeck({ ...neckOpts, layerScaleInit: 0 });
  const sd = neck.stateDict();
  assert.ok(!('decoders.0.gamma_1' in sd));
  assert.equal(sd['regressors.0.gamma_1_cross'].sum().item(), 16);
  assert.ok(!neck.regressors.at(0).gamma_1_cross.requiresGrad);
});

test("an MMSelfSup CAE checkpoint's backbone/teacher/neck keys map onto CAEViT's and CAENeck's", () => {
  const mm = [...mmViT('backbone'), ...mmViT('teacher'), ...mmNeck.map((k) => `neck.${k}`)];
  const converted = Object.keys(convertMMSelfSupCAEKeys(Object.fromEntries(mm.map((k) => [k, 0])))).sort();
  const vit = Object.keys(new CAEViT(vitOpts).stateDict());
  const ours = [
    ...vit.map((k) => `backbone.${k}`),
    ...vit.map((k) => `teacher.${k}`),
    ...Object.keys(new CAENeck(neckOpts).stateDict()).map((k) => `neck.${k}`),
  ].sort();
  assert.deepEqual(converted, ours);
});

test('bad masks are clear errors: unequal counts per image (CAEViT), a count other than maskTokensNum (CAENeck)', () => {
  const vit = new CAEViT(vitOpts);
  const img = torch.zeros([2, 3, 32, 32]);
  const uneven = torch.zeros([2, 4, 4], { dtype: 'bool' });
  uneven.index(0).index(0).fill_(true);
  assert.throws(() => vit.forward(img, uneven), /same number of patches/);
  assert.throws(() => vit.forward(img, torch.zeros([2, 3, 3], { dtype: 'bool' })), /does not match 2 images of 4x4 patches/);
  const neck = new CAENeck({ ...neckOpts, maskTokensNum: 5 });
  assert.throws(
    () => neck.forward(torch.zeros([2, 12, 16]), torch.zeros([2, 4, 16]), torch.zeros([2, 12, 16])),
    /maskTokensNum \(5\)/,
  );
  // Equal counts pass: 4 masked → 1 + 12 visible tokens.
  const even = torch.zeros([2, 16], { dtype: 'bool' });
  even.slice(1, 0, 4).fill_(true);
  assert.deepEqual(vit.forward(img, even)[0].shape, [2, 13, 16]);
});
