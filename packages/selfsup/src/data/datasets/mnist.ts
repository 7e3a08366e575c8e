/**
 * MNIST and Fashion-MNIST from their IDX files (`train-images-idx3-ubyte[.gz]`, …). Fashion-MNIST
 * defaults to Debian's `dataset-fashion-mnist` location.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readIdx } from './idx.js';
import { ArrayDataset } from './array-dataset.js';

export const FASHION_MNIST_ROOT = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];
export const MNIST_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

function idxPath(root: string, stem: string): string {
  for (const p of [join(root, `${stem}.gz`), join(root, stem)]) if (existsSync(p)) return p;
  throw new Error(`${root}: neither ${stem} nor ${stem}.gz exists`);
}

/** The train (60,000) or test (10,000) split of an MNIST-format dataset, `(28, 28, 1)` images. */
export function loadMnistFormat(root: string, split: 'train' | 'test', name: string, classes: string[]): ArrayDataset {
  const prefix = split === 'train' ? 'train' : 't10k';
  const images = readIdx(idxPath(root, `${prefix}-images-idx3-ubyte`));
  const labels = readIdx(idxPath(root, `${prefix}-labels-idx1-ubyte`));
  if (images.shape.length !== 3) throw new Error(`${name}: images file has shape [${images.shape}], expected [N, H, W]`);
  if (labels.shape[0] !== images.shape[0]) throw new Error(`${name}: ${images.shape[0]} images but ${labels.shape[0]} labels`);
  for (const l of labels.data)
    if (l >= classes.length) throw new Error(`${name}: label ${l} out of range for ${classes.length} classes`);
  return new ArrayDataset(
    `${name}:${split}`,
    images.data,
    { height: images.shape[1], width: images.shape[2], channels: 1 },
    Int32Array.from(labels.data),
    classes,
  );
}

export function fashionMnist(split: 'train' | 'test', root = FASHION_MNIST_ROOT): ArrayDataset {
  return loadMnistFormat(root, split, 'FashionMNIST', FASHION_MNIST_CLASSES);
}

export function mnist(split: 'train' | 'test', root: string): ArrayDataset {
  return loadMnistFormat(root, split, 'MNIST', MNIST_CLASSES);
}
