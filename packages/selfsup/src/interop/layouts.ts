/**
 * State-dict layouts of the ResNet, ViT and Swin families in other libraries, each as renaming rules
 * onto selfsup's own backbone names (ResNet: torchvision's; ViT: timm's; Swin: mmpretrain's), so a
 * conversion is theirs → ours → theirs. Only the backbone is mapped: a layout also names the key
 * prefixes of its classifier/neck, which are dropped (or kept where source and target agree).
 */
import * as torch from '@selfsup/torch';
import type { Tensor } from '@selfsup/torch';
import type { KeyRule } from '../models/backbones/key-rules.js';
import { MMCLS_VIT_KEYS } from '../models/backbones/vit.js';

export const FORMATS = ['selfsup', 'torchvision', 'timm', 'mmselfsup', 'mmpretrain', 'detectron2'] as const;
export type Format = (typeof FORMATS)[number];
export const ARCHS = ['resnet', 'vit', 'swin'] as const;
export type Arch = (typeof ARCHS)[number];

/** Which way a tensor travels through a layout. */
export type Direction = 'toOurs' | 'fromOurs';

export interface Layout {
  /** `[theirs, ours]` renames (see key-rules.ts); keys no rule names pass through when `passThrough`. */
  rules: readonly KeyRule[];
  passThrough: boolean;
  /** Prefixes of their non-backbone keys (classifier, neck, head). */
  heads: readonly string[];
  /** Their keys that carry nothing (derived buffers): ignored on reading. */
  ignore?: RegExp;
  /** Our keys the target leaves out (pre-training-only, derived): dropped and counted. */
  omit?: RegExp;
  /** Re-lays a tensor whose arrangement differs (Swin patch merging); keyed by our name. */
  transform?: (ourKey: string, t: Tensor, dir: Direction) => Tensor;
}

/** Our backbone keys, per family: what a converted state dict may contain. */
export const OUR_KEYS: Record<Arch, RegExp> = {
  resnet:
    /^((conv1|bn1)\.|layer[1-4]\.\d+\.(conv[1-3]|bn[1-3]|downsample\.[0-2])\.|stem\.[0-2]\.(conv|bn)\.)(weight|bias|running_mean|running_var|num_batches_tracked)$/,
  vit: /^(cls_token|pos_embed|mask_token|(patch_embed\.proj|blocks\.\d+\.(norm1|norm2|attn\.qkv|attn\.proj|mlp\.fc1|mlp\.fc2)|norm)\.(weight|bias)|blocks\.\d+\.ls[12]\.gamma)$/,
  swin: /^(mask_token|absolute_pos_embed|(patch_embed\.(projection|norm)|stages\.\d+\.blocks\.\d+\.(norm1|norm2|attn\.w_msa\.qkv|attn\.w_msa\.proj|ffn\.layers\.0\.0|ffn\.layers\.1)|stages\.\d+\.downsample\.(norm|reduction)|norm\d+)\.(weight|bias)|stages\.\d+\.blocks\.\d+\.attn\.w_msa\.relative_position_(bias_table|index))$/,
};

const BN_STATS = /\.num_batches_tracked$/;

/** detectron2's names for torchvision's ResNet (its tools/convert-torchvision-to-detectron2.py rules). */
function detectron2ResNetRules(): KeyRule[] {
  const rules: KeyRule[] = [
    ['stem.conv1.norm.', 'bn1.'],
    ['stem.conv1.', 'conv1.'],
  ];
  for (let t = 1; t <= 4; t++) {
    rules.push(
      [`res${t + 1}.{b}.conv{k}.norm.`, `layer${t}.{b}.bn{k}.`],
      [`res${t + 1}.{b}.conv{k}.`, `layer${t}.{b}.conv{k}.`],
      [`res${t + 1}.{b}.shortcut.norm.`, `layer${t}.{b}.downsample.1.`],
      [`res${t + 1}.{b}.shortcut.`, `layer${t}.{b}.downsample.0.`],
    );
  }
  return rules;
}

const TORCHVISION_VIT_KEYS: readonly KeyRule[] = [
  ['class_token', 'cls_token'],
  ['encoder.pos_embedding', 'pos_embed'],
  ['conv_proj.', 'patch_embed.proj.'],
  ['encoder.layers.encoder_layer_{i}.ln_1.', 'blocks.{i}.norm1.'],
  ['encoder.layers.encoder_layer_{i}.ln_2.', 'blocks.{i}.norm2.'],
  ['encoder.layers.encoder_layer_{i}.self_attention.in_proj_weight', 'blocks.{i}.attn.qkv.weight'],
  ['encoder.layers.encoder_layer_{i}.self_attention.in_proj_bias', 'blocks.{i}.attn.qkv.bias'],
  ['encoder.layers.encoder_layer_{i}.self_attention.out_proj.', 'blocks.{i}.attn.proj.'],
  ['encoder.layers.encoder_layer_{i}.mlp.0.', 'blocks.{i}.mlp.fc1.'],
  ['encoder.layers.encoder_layer_{i}.mlp.3.', 'blocks.{i}.mlp.fc2.'],
  // torchvision < 0.13 named the MLP's linears.
  ['encoder.layers.encoder_layer_{i}.mlp.linear_1.', 'blocks.{i}.mlp.fc1.'],
  ['encoder.layers.encoder_layer_{i}.mlp.linear_2.', 'blocks.{i}.mlp.fc2.'],
  ['encoder.ln.', 'norm.'],
];

const MM_VIT_KEYS: readonly KeyRule[] = [
  ...MMCLS_VIT_KEYS,
  ['cls_token', 'cls_token'],
  ['pos_embed', 'pos_embed'],
  ['mask_token', 'mask_token'],
];

/** A Swin block's insides: `[theirs, ours]` after the block prefix (torchvision and timm share them). */
const SWIN_BLOCK: readonly [string, string][] = [
  ['norm1.', 'norm1.'],
  ['norm2.', 'norm2.'],
  ['attn.qkv.', 'attn.w_msa.qkv.'],
  ['attn.proj.', 'attn.w_msa.proj.'],
  ['attn.relative_position_bias_table', 'attn.w_msa.relative_position_bias_table'],
  ['attn.relative_position_index', 'attn.w_msa.relative_position_index'],
  ['mlp.0.', 'ffn.layers.0.0.'],
  ['mlp.3.', 'ffn.layers.1.'],
  ['mlp.fc1.', 'ffn.layers.0.0.'],
  ['mlp.fc2.', 'ffn.layers.1.'],
];

/**
 * torchvision's Swin (`features.0` patch embedding, `features.{2s+1}` stage s's blocks,
 * `features.{2s+2}` its patch merging, `norm`) or timm's (≥ 0.9: `layers.{s}.blocks`, the merging at
 * the start of the next stage `layers.{s+1}.downsample`; before 0.9 at the end of its own).
 */
function swinRules(lib: 'torchvision' | 'timm', numStages: number, timmOldMerge = false): KeyRule[] {
  const tv = lib === 'torchvision';
  const rules: KeyRule[] = tv
    ? [
        ['features.0.0.', 'patch_embed.projection.'],
        ['features.0.2.', 'patch_embed.norm.'],
      ]
    : [
        ['patch_embed.proj.', 'patch_embed.projection.'],
        ['patch_embed.norm.', 'patch_embed.norm.'],
      ];
  for (let s = 0; s < numStages; s++) {
    const blocks = tv ? `features.${2 * s + 1}.{b}.` : `layers.${s}.blocks.{b}.`;
    for (const [theirs, ours] of SWIN_BLOCK) {
      if (tv ? theirs.startsWith('mlp.fc') : /^mlp\.\d/.test(theirs)) continue;
      rules.push([blocks + theirs, `stages.${s}.blocks.{b}.${ours}`]);
    }
    if (s < numStages - 1) {
      const merge = tv ? `features.${2 * s + 2}.` : timmOldMerge ? `layers.${s}.downsample.` : `layers.${s + 1}.downsample.`;
      rules.push([`${merge}norm.`, `stages.${s}.downsample.norm.`], [`${merge}reduction.`, `stages.${s}.downsample.reduction.`]);
    }
  }
  rules.push(['norm.', `norm${numStages - 1}.`]);
  return rules;
}

/** mmcv's `nn.Unfold` order of a 2×2 merge, `(c, dy, dx)`, from / to timm's and torchvision's `(dx, dy, c)`. */
function swinMergeTransform(ourKey: string, t: Tensor, dir: Direction): Tensor {
  if (!/\.downsample\.(norm|reduction)\./.test(ourKey)) {
    // torchvision flattens the (ws², ws²) relative position index.
    if (ourKey.endsWith('relative_position_index')) {
      const n = Math.round(Math.sqrt(t.numel()));
      return dir === 'toOurs' ? t.reshape(n, n) : t.reshape(-1);
    }
    return t;
  }
  return torch.tidy(() => {
    // Positions (dy, dx) in unfold order are (0,0),(0,1),(1,0),(1,1); timm's x0..x3 are (0,0),(1,0),(0,1),(1,1).
    const perm = torch.tensor([0, 2, 1, 3], { dtype: 'int64' });
    const lead = t.shape.slice(0, -1);
    const c = t.shape[t.dim() - 1] / 4;
    const d = lead.length;
    if (dir === 'fromOurs') {
      return t
        .reshape(...lead, c, 4)
        .indexSelect(d + 1, perm)
        .transpose(d, d + 1)
        .reshape(...lead, 4 * c);
    }
    return t
      .reshape(...lead, 4, c)
      .indexSelect(d, perm)
      .transpose(d, d + 1)
      .reshape(...lead, 4 * c);
  });
}

const MM_HEADS = ['neck.', 'head.', 'heads.', 'data_preprocessor.', 'target_generator.', 'teacher.', 'momentum_'];

/** The layout of `format` for `arch`; `numStages` is the Swin's stage count. Throws when there is none. */
export function layoutOf(format: Format, arch: Arch, o: { numStages?: number; timmOldMerge?: boolean } = {}): Layout {
  const mm = format === 'mmselfsup' || format === 'mmpretrain';
  if (arch === 'resnet') {
    if (format === 'detectron2')
      return { rules: detectron2ResNetRules(), passThrough: false, heads: ['fc.', 'linear.'], omit: BN_STATS };
    return { rules: [], passThrough: true, heads: mm ? MM_HEADS : ['fc.'] };
  }
  if (format === 'detectron2')
    throw new TypeError(
      `detectron2 layout: defined for ResNet only (detectron2's ViTDet/Swin backbones are separate projects), not ${arch}`,
    );
  if (arch === 'vit') {
    if (format === 'torchvision')
      return { rules: TORCHVISION_VIT_KEYS, passThrough: false, heads: ['heads.'], omit: /^mask_token$/ };
    if (mm) return { rules: MM_VIT_KEYS, passThrough: false, heads: MM_HEADS };
    if (format === 'timm') return { rules: [], passThrough: true, heads: ['head.', 'fc_norm.'], omit: /^mask_token$/ };
    return { rules: [], passThrough: true, heads: [] };
  }
  const numStages = o.numStages ?? 4;
  if (format === 'torchvision' || format === 'timm') {
    return {
      rules: swinRules(format, numStages, o.timmOldMerge),
      passThrough: false,
      heads: ['head.'],
      // timm ≥ 0.9 keeps the relative position index and shifted-window masks out of its state dict.
      ignore: format === 'timm' ? /(relative_position_index|attn_mask)$/ : undefined,
      omit: format === 'timm' ? /^mask_token$|relative_position_index$/ : /^mask_token$/,
      transform: swinMergeTransform,
    };
  }
  return { rules: [], passThrough: true, heads: mm ? MM_HEADS : [] };
}
