"""torchvision side of bench/loader.mjs: the SimCLR two-view pipeline with PIL + DataLoader."""
import json, sys, time
import torch
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms as T

root, size, n, workers, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(1)
view = T.Compose([
    T.RandomResizedCrop(size, scale=(0.08, 1.0)), T.RandomHorizontalFlip(),
    T.RandomApply([T.ColorJitter(0.8, 0.8, 0.8, 0.2)], p=0.8), T.RandomGrayscale(0.2),
    T.RandomApply([T.GaussianBlur(2 * int(3 * 2.0) + 1, (0.1, 2.0))], p=0.5), T.PILToTensor(),
])
class TwoViews:
    def __call__(self, img): return [view(img), view(img)]
ds = Subset(datasets.ImageFolder(root, transform=TwoViews()), range(n))
loader = DataLoader(ds, batch_size=batch, shuffle=True, num_workers=workers, drop_last=True, persistent_workers=False)
t = time.perf_counter(); seen = 0
for views, _ in loader: seen += views[0].shape[0]
print(json.dumps({'images_per_s': seen / (time.perf_counter() - t)}))
