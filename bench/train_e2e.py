#!/usr/bin/env python3
"""The Python PyTorch side of bench/train_e2e.mjs: one of selfsup's bundled CIFAR-10 recipes (SimCLR,
BYOL, Barlow Twins on the 1/4-width ResNet-18 with the CIFAR stem, batch 256, 32 px) trained end to
end the way a PyTorch user writes it at its best: torchvision's transforms on PIL images in a
DataLoader with N worker processes, channels_last on request, tuned glibc malloc (set by the caller).
Prints one JSON line: images/s over iterations (skip, iters], the loss at the end.
    python3 bench/train_e2e.py --method simclr --data DIR (holds cifar-10-batches-bin) [--iters 60]
        [--skip 10] [--workers 2] [--threads 2] [--channels-last]"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torchvision import transforms as T

p = argparse.ArgumentParser()
p.add_argument('--method', required=True, choices=['simclr', 'byol', 'barlowtwins'])
p.add_argument('--data', required=True)
p.add_argument('--iters', type=int, default=60)
p.add_argument('--skip', type=int, default=10)
p.add_argument('--workers', type=int, default=2)
p.add_argument('--threads', type=int, default=2)
p.add_argument('--batch', type=int, default=256)
p.add_argument('--channels-last', action='store_true')
a = p.parse_args()
if not 1 <= a.skip < a.iters:
    p.error(f'--skip must be in [1, --iters): the clock starts after iteration --skip (got {a.skip}, {a.iters})')
torch.set_num_threads(a.threads)
torch.manual_seed(0)

# ------------------------------------------------------------------ data: the official binary files


def load_cifar(root):
    d = os.path.join(root, 'cifar-10-batches-bin')
    recs = np.concatenate([np.fromfile(os.path.join(d, f'data_batch_{i}.bin'), dtype=np.uint8) for i in range(1, 6)])
    recs = recs.reshape(-1, 1 + 3 * 32 * 32)
    return recs[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy()


def simclr_view():
    return T.Compose([
        T.RandomResizedCrop(32, scale=(0.08, 1.0)),
        T.RandomHorizontalFlip(),
        T.RandomApply([T.ColorJitter(0.8, 0.8, 0.8, 0.2)], p=0.8),
        T.RandomGrayscale(0.2),
        T.PILToTensor(),
    ])


def byol_view(solarize):
    return T.Compose([
        T.RandomResizedCrop(32, scale=(0.08, 1.0), interpolation=T.InterpolationMode.BICUBIC),
        T.RandomHorizontalFlip(),
        T.RandomApply([T.ColorJitter(0.4, 0.4, 0.2, 0.1)], p=0.8),
        T.RandomGrayscale(0.2),
        T.RandomSolarize(128, p=solarize),
        T.PILToTensor(),
    ])


class TwoViews(torch.utils.data.Dataset):
    def __init__(self, images, views):
        self.images, self.views = images, views

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        img = Image.fromarray(self.images[i])
        return tuple(v(img) for v in self.views)


# ------------------------------------------------------------------ model


def conv3(i, o, s=1):
    return nn.Conv2d(i, o, 3, s, 1, bias=False)


class Block(nn.Module):
    def __init__(self, i, o, s):
        super().__init__()
        self.conv1, self.bn1 = conv3(i, o, s), nn.BatchNorm2d(o)
        self.conv2, self.bn2 = conv3(o, o), nn.BatchNorm2d(o)
        nn.init.zeros_(self.bn2.weight)  # zero-init residual, as the recipe
        self.down = None if s == 1 and i == o else nn.Sequential(nn.Conv2d(i, o, 1, s, bias=False), nn.BatchNorm2d(o))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.down is None else self.down(x)))


class ResNet18Cifar(nn.Module):
    """ResNet-18 at 1/4 width (16-32-64-128) with the 3x3 stride-1 stem and no max-pool."""

    def __init__(self, w=16):
        super().__init__()
        self.stem = nn.Sequential(conv3(3, w), nn.BatchNorm2d(w), nn.ReLU(inplace=True))
        layers, c = [], w
        for k, s in zip([1, 2, 4, 8], [1, 2, 2, 2]):
            layers += [Block(c, w * k, s), Block(w * k, w * k, 1)]
            c = w * k
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(self.stem(x))


def mlp(i, h, o, layers, bias=False, last_bn=True, last_bias=False):
    """MMSelfSup's NonLinearNeck without the pooling."""
    mods, c = [], i
    for k in range(layers - 1):
        mods += [nn.Linear(c, h, bias=bias), nn.BatchNorm1d(h), nn.ReLU(inplace=True)]
        c = h
    mods.append(nn.Linear(c, o, bias=last_bias))
    if last_bn:
        mods.append(nn.BatchNorm1d(o))
    return nn.Sequential(*mods)


class Encoder(nn.Module):
    def __init__(self, neck):
        super().__init__()
        self.backbone, self.neck = ResNet18Cifar(), neck

    def forward(self, x):
        return self.neck(F.adaptive_avg_pool2d(self.backbone(x), 1).flatten(1))


MEAN = torch.tensor([125.307, 122.961, 113.8575]).view(1, 3, 1, 1)
STD = torch.tensor([51.5865, 50.847, 51.255]).view(1, 3, 1, 1)


def normalize(x):
    x = (x.float() - MEAN) / STD
    return x.contiguous(memory_format=torch.channels_last) if a.channels_last else x


def nt_xent(z, t=0.2):
    z = F.normalize(z, dim=1)
    n = z.shape[0] // 2
    sim = z @ z.t() / t
    sim.fill_diagonal_(-math.inf)
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim, target)


def cross_correlation(z1, z2, lambd=0.0051):
    bn = lambda z: F.batch_norm(z, None, None, training=True)  # noqa: E731 (BN without affine)
    c = bn(z1).t() @ bn(z2) / z1.shape[0]
    on = (torch.diagonal(c) - 1).pow(2).sum()
    off = (c - torch.diag(torch.diagonal(c))).pow(2).sum()
    return on + lambd * off


class LARS(torch.optim.Optimizer):
    """LARS (You et al. 2017) as MMSelfSup applies it: trust ratio and weight decay skipped for
    parameters marked `lars_exclude` (BN and biases)."""

    def __init__(self, groups, lr, momentum=0.9, weight_decay=0.0, eta=0.001):
        super().__init__(groups, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, eta=eta, lars_exclude=False))

    @torch.no_grad()
    def step(self):
        for g in self.param_groups:
            for p in g['params']:
                if p.grad is None:
                    continue
                d = p.grad
                if not g['lars_exclude']:
                    pn, gn = torch.norm(p), torch.norm(d)
                    trust = torch.where((pn > 0) & (gn > 0), g['eta'] * pn / (gn + g['weight_decay'] * pn), torch.ones_like(pn))
                    d = d.add(p, alpha=g['weight_decay']).mul(trust)
                st = self.state[p]
                buf = st.get('buf')
                if buf is None:
                    buf = st['buf'] = torch.clone(d).detach()
                else:
                    buf.mul_(g['momentum']).add_(d)
                p.add_(buf, alpha=-g['lr'])


def lars_groups(model, wd):
    plain, excl = [], []
    for n, q in model.named_parameters():
        (excl if q.ndim == 1 else plain).append(q)
    return [dict(params=plain, weight_decay=wd), dict(params=excl, weight_decay=0.0, lars_exclude=True)]


if a.method == 'simclr':
    views = [simclr_view(), simclr_view()]
    online = Encoder(mlp(128, 512, 128, 2))
    opt = torch.optim.SGD(online.parameters(), lr=0.3, momentum=0.9, weight_decay=5e-4)
    base_lr = 0.3
elif a.method == 'byol':
    views = [byol_view(0.0), byol_view(0.2)]
    online = Encoder(mlp(128, 1024, 128, 2, bias=True, last_bn=False, last_bias=True))
    predictor = mlp(128, 1024, 128, 2, bias=True, last_bn=False, last_bias=True)
    target = Encoder(mlp(128, 1024, 128, 2, bias=True, last_bn=False, last_bias=True))
    target.load_state_dict(online.state_dict())
    for q in target.parameters():
        q.requires_grad_(False)
    both = nn.ModuleDict(dict(online=online, predictor=predictor))
    opt = LARS(lars_groups(both, 1e-5), lr=1.0)
    base_lr = 1.0
else:
    views = [byol_view(0.0), byol_view(0.2)]
    online = Encoder(mlp(128, 1024, 1024, 3, last_bn=False))
    opt = LARS(lars_groups(online, 1e-5), lr=0.3)
    base_lr = 0.3
if a.channels_last:
    online.to(memory_format=torch.channels_last)
    if a.method == 'byol':
        target.to(memory_format=torch.channels_last)

data = TwoViews(load_cifar(a.data), views)
loader = torch.utils.data.DataLoader(
    data, batch_size=a.batch, shuffle=True, drop_last=True, num_workers=a.workers,
    persistent_workers=a.workers > 0)
iters_per_epoch = len(loader)
warmup = 5 * iters_per_epoch
total = 100 * iters_per_epoch


def lr_at(i):
    if i < warmup:
        return base_lr * (1e-4 + (1 - 1e-4) * i / warmup)
    return base_lr * 0.5 * (1 + math.cos(math.pi * (i - warmup) / (total - warmup)))


it, t0, loss_value = 0, None, float('nan')
online.train()
while it < a.iters:
    for v1, v2 in loader:
        for g in opt.param_groups:
            g['lr'] = lr_at(it)
        x1, x2 = normalize(v1), normalize(v2)
        if a.method == 'simclr':
            loss = nt_xent(online(torch.cat([x1, x2])))
        elif a.method == 'byol':
            p1, p2 = predictor(online(x1)), predictor(online(x2))
            with torch.no_grad():
                t1, t2 = target(x1), target(x2)
            loss = (4 - 2 * F.cosine_similarity(p1, t2).mean() - 2 * F.cosine_similarity(p2, t1).mean())
        else:
            loss = cross_correlation(online(x1), online(x2))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if a.method == 'byol':
            m = 1 - (1 - 0.99) * (math.cos(math.pi * it / total) + 1) / 2
            with torch.no_grad():
                for po, pt in zip(online.parameters(), target.parameters()):
                    pt.mul_(m).add_(po, alpha=1 - m)
        loss_value = loss.item()
        it += 1
        if it == a.skip:
            t0 = time.perf_counter()
        if it >= a.iters:
            break
seconds = time.perf_counter() - t0
print(json.dumps(dict(imgs_per_sec=(a.iters - a.skip) * a.batch / seconds, seconds=seconds, loss=loss_value,
                      workers=a.workers, channels_last=a.channels_last, threads=torch.get_num_threads())))
