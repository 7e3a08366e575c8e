"""selfsup's ResNet backbones in plain PyTorch, to use selfsup checkpoints from Python.

Rebuilds the ResNet family of selfsup (``src/models/backbones/resnet.ts``) with the same
state-dict keys, including the CPU-sized variants of the bundled configs (``widthMultiplier``, e.g.
¼ width, and the CIFAR stem: a 3×3 stride-1 first conv without max-pool) and ResNetV1d (deep stem,
average-pool downsampling), so a selfsup backbone loads with ``load_state_dict(strict=True)``::

    from selfsup_models import load_selfsup_backbone
    net = load_selfsup_backbone('work_dirs/exp/checkpoints/epoch_100.pth').eval()
    feats = net(images)[-1]           # (N, C, h, w): the last stage (``out_indices``)
    pooled = net.features(images)     # (N, C): global average pool, what ``selfsup extract`` gives

Images are ``(N, 3, H, W)`` float tensors normalised as the model's ``dataPreprocessor`` says
(``(x - mean) / std`` with mean/std in 0–255 units). Only torch is needed.
"""
import json
import math

import torch
from torch import nn
import torch.nn.functional as F

__all__ = ['ResNet', 'build_backbone', 'load_selfsup_backbone']

_ARCH = {
    18: ('basic', [2, 2, 2, 2]),
    34: ('basic', [3, 4, 6, 3]),
    50: ('bottleneck', [3, 4, 6, 3]),
    101: ('bottleneck', [3, 4, 23, 3]),
    152: ('bottleneck', [3, 8, 36, 3]),
}


def _conv3x3(i, o, stride=1):
    return nn.Conv2d(i, o, 3, stride=stride, padding=1, bias=False)


def _conv1x1(i, o, stride=1):
    return nn.Conv2d(i, o, 1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride, downsample):
        super().__init__()
        self.conv1 = _conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = _conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = self.downsample(x) if self.downsample is not None else x
        return F.relu(out + identity)


class Bottleneck(nn.Module):
    """1×1 → 3×3 (the stride here, torchvision's v1.5) → 1×1 with 4× expansion."""
    expansion = 4

    def __init__(self, inplanes, planes, stride, downsample):
        super().__init__()
        self.conv1 = _conv1x1(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = _conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = _conv1x1(planes, planes * 4)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = downsample

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = self.downsample(x) if self.downsample is not None else x
        return F.relu(out + identity)


class _ConvBN(nn.Module):
    """mmcv ConvModule's keys (``conv``, ``bn``): the V1d deep stem."""

    def __init__(self, i, o, stride):
        super().__init__()
        self.conv = _conv3x3(i, o, stride)
        self.bn = nn.BatchNorm2d(o)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class ResNet(nn.Module):
    """selfsup's ``ResNet`` / ``ResNetV1d`` backbone (the options of its config, in snake_case).

    ``forward`` returns the outputs of the stages in ``out_indices`` (default: the last), as selfsup's.
    """

    def __init__(self, depth, in_channels=3, cifar_stem=False, v1d=False, width_multiplier=1.0,
                 strides=(1, 2, 2, 2), out_indices=(3,)):
        super().__init__()
        if depth not in _ARCH:
            raise ValueError(f'ResNet: depth must be one of {sorted(_ARCH)}, got {depth}')
        block, layers = _ARCH[depth]
        expansion = 1 if block == 'basic' else 4
        # selfsup rounds widths as JavaScript's Math.round does (halves up), not Python's round().
        jsround = lambda v: int(math.floor(v + 0.5))  # noqa: E731
        base = max(1, jsround(64 * width_multiplier))
        if v1d:
            half = max(1, jsround(base / 2))
            s0 = 1 if cifar_stem else 2
            self.stem = nn.Sequential(_ConvBN(in_channels, half, s0), _ConvBN(half, half, 1), _ConvBN(half, base, 1))
        elif cifar_stem:
            self.conv1 = _conv3x3(in_channels, base)
            self.bn1 = nn.BatchNorm2d(base)
        else:
            self.conv1 = nn.Conv2d(in_channels, base, 7, stride=2, padding=3, bias=False)
            self.bn1 = nn.BatchNorm2d(base)
        self.v1d = v1d
        self.maxpool = None if cifar_stem else nn.MaxPool2d(3, stride=2, padding=1)
        inplanes = base
        self.stage_channels = []
        for s in range(4):
            planes = max(1, jsround(64 * 2 ** s * width_multiplier))
            blocks = []
            for b in range(layers[s]):
                stride = strides[s] if b == 0 else 1
                down = None
                if b == 0 and (stride != 1 or inplanes != planes * expansion):
                    if v1d:
                        pool = nn.AvgPool2d(stride, stride=stride, ceil_mode=True, count_include_pad=False) \
                            if stride > 1 else nn.Identity()
                        down = nn.Sequential(pool, _conv1x1(inplanes, planes * expansion),
                                             nn.BatchNorm2d(planes * expansion))
                    else:
                        down = nn.Sequential(_conv1x1(inplanes, planes * expansion, stride),
                                             nn.BatchNorm2d(planes * expansion))
                cls = BasicBlock if block == 'basic' else Bottleneck
                blocks.append(cls(inplanes, planes, stride, down))
                inplanes = planes * expansion
            self.add_module(f'layer{s + 1}', nn.Sequential(*blocks))
            self.stage_channels.append(inplanes)
        self.num_features = inplanes
        self.out_indices = [i + 4 if i < 0 else i for i in out_indices]

    def _stem(self, x):
        x = self.stem(x) if self.v1d else F.relu(self.bn1(self.conv1(x)))
        return self.maxpool(x) if self.maxpool is not None else x

    def forward(self, x):
        h = self._stem(x)
        outs = []
        for s in range(max(self.out_indices) + 1):
            h = getattr(self, f'layer{s + 1}')(h)
            if s in self.out_indices:
                outs.append(h)
        return outs

    def features(self, x):
        """The last stage, globally average-pooled: ``(N, C)``."""
        h = self._stem(x)
        for s in range(4):
            h = getattr(self, f'layer{s + 1}')(h)
        return h.mean(dim=(2, 3))


_RESNET_OPTIONS = {'depth': 'depth', 'inChannels': 'in_channels', 'cifarStem': 'cifar_stem', 'v1d': 'v1d',
                   'widthMultiplier': 'width_multiplier', 'strides': 'strides', 'outIndices': 'out_indices'}
# Training-time options with no effect on the architecture's keys or its eval-mode forward.
_TRAINING_ONLY = {'frozenStages', 'normEval', 'zeroInitResidual', 'dropPathRate'}


def build_backbone(cfg):
    """A selfsup backbone config (``{'type': 'ResNet', 'depth': 18, 'widthMultiplier': 0.25, …}``) built in torch."""
    cfg = dict(cfg)
    kind = cfg.pop('type')
    if kind == 'ResNetV1d':
        cfg['v1d'] = True
    elif kind.startswith('resnet') and kind[6:].isdigit():
        cfg['depth'] = int(kind[6:])
    elif kind != 'ResNet':
        raise ValueError(f"selfsup_models: backbone type '{kind}' is not rebuilt here (ResNet, ResNetV1d, resnet18…152)")
    unknown = set(cfg) - set(_RESNET_OPTIONS) - _TRAINING_ONLY
    if unknown:
        raise ValueError(f'selfsup_models: unknown ResNet options {sorted(unknown)}')
    return ResNet(**{_RESNET_OPTIONS[k]: v for k, v in cfg.items() if k in _RESNET_OPTIONS})


def load_selfsup_backbone(path, config=None):
    """The backbone of a ``selfsup train`` checkpoint, weights loaded strictly.

    ``config``: the backbone config when the checkpoint has none embedded (e.g. a state dict saved
    by hand); by default it is read from the checkpoint's ``meta.config`` (``model.backbone``).
    """
    ck = torch.load(path, map_location='cpu')
    state = ck.get('state_dict', ck) if isinstance(ck, dict) else ck
    if config is None:
        meta = ck.get('meta', {}) if isinstance(ck, dict) else {}
        if not isinstance(meta.get('config'), str):
            raise ValueError(f'{path}: no embedded config (meta.config); pass config=')
        config = json.loads(meta['config'])['model']['backbone']
    net = build_backbone(config)
    prefix = 'backbone.'
    sd = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)} \
        if any(k.startswith(prefix) for k in state) else dict(state)
    net.load_state_dict(sd, strict=True)
    return net
