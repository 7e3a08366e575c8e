"""torchvision side of bench/loader.mjs: the SimCLR two-view pipeline with PIL + DataLoader
(backend 'pillow': blurred with PIL's GaussianBlur, as MMSelfSup does).

One untimed warm-up epoch with persistent workers, then `runs` timed epochs; prints the images/s
of each timed epoch."""
import json, random, sys, time
import torch
from PIL import ImageFilter
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms as T

root, size, n, workers, batch, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
backend = sys.argv[7] if len(sys.argv) > 7 else 'tensor'
torch.set_num_threads(1)
class PILGaussianBlur:
    """MMSelfSup's RandomGaussianBlur: PIL's GaussianBlur with radius sigma ~ U[0.1, 2]."""
    def __call__(self, img): return img.filter(ImageFilter.GaussianBlur(radius=random.uniform(0.1, 2.0)))
blur = PILGaussianBlur() if backend == 'pillow' else T.GaussianBlur(2 * int(3 * 2.0) + 1, (0.1, 2.0))
view = T.Compose([
    T.RandomResizedCrop(size, scale=(0.08, 1.0)), T.RandomHorizontalFlip(),
    T.RandomApply([T.ColorJitter(0.8, 0.8, 0.8, 0.2)], p=0.8), T.RandomGrayscale(0.2),
    T.RandomApply([blur], p=0.5), T.PILToTensor(),
])
class TwoViews:
    def __call__(self, img): return [view(img), view(img)]
ds = Subset(datasets.ImageFolder(root, transform=TwoViews()), range(n))
loader = DataLoader(ds, batch_size=batch, shuffle=True, num_workers=workers, drop_last=True,
                    persistent_workers=workers > 0)
rates = []
for epoch in range(runs + 1):
    t = time.perf_counter(); seen = 0
    for views, _ in loader: seen += views[0].shape[0]
    if epoch > 0: rates.append(seen / (time.perf_counter() - t))
print(json.dumps({'images_per_s': rates}))
