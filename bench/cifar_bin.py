#!/usr/bin/env python3
"""Writes CIFAR-10's official binary layout (cifar-10-batches-bin/data_batch_{1..5}.bin, batches.meta.txt)
from the JPEG folder of ../shared/data/cifar10-train.tar.gz, so that `selfsup train` (dataset type CIFAR10)
and the Python reference read the same decoded pixels from the same file.
    python3 bench/cifar_bin.py SRC_DIR (holds <class>/*.jpg) OUT_DIR"""
import os
import sys

import numpy as np
from PIL import Image

src, out = sys.argv[1], sys.argv[2]
classes = sorted(os.listdir(src))
records = []
for label, name in enumerate(classes):
    for f in sorted(os.listdir(os.path.join(src, name))):
        img = np.asarray(Image.open(os.path.join(src, name, f)).convert('RGB'), dtype=np.uint8)
        assert img.shape == (32, 32, 3), (f, img.shape)
        # One label byte, then the R, G and B planes.
        records.append(np.concatenate([[label], img.transpose(2, 0, 1).reshape(-1)]).astype(np.uint8))
# Shuffled once (seeded) so that every batch file holds all classes, as the official files do.
order = np.random.RandomState(0).permutation(len(records))
data = np.stack([records[i] for i in order])
d = os.path.join(out, 'cifar-10-batches-bin')
os.makedirs(d, exist_ok=True)
for i, chunk in enumerate(np.array_split(data, 5)):
    chunk.tofile(os.path.join(d, f'data_batch_{i + 1}.bin'))
with open(os.path.join(d, 'batches.meta.txt'), 'w') as fh:
    fh.write('\n'.join(classes) + '\n')
print(f'{len(records)} images → {d}')
