"""torchvision side of bench/device_augment.mjs: what one DataLoader worker spends per image on
MMSelfSup's SimCLR view (two views per image), on images decoded beforehand, one thread; and on
its RandomResizedCrop alone. Prints {"whole": [images/s per run], "crop": [...]} as JSON."""
import json, random, sys, time
import torch
from PIL import Image
from torchvision import transforms as T

files, size, batch, runs = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(1)
random.seed(0)
torch.manual_seed(0)
imgs = []
for f in files:
    with Image.open(f) as im:
        imgs.append(im.convert('RGB'))
crop = T.Compose([T.RandomResizedCrop(size, scale=(0.08, 1.0)), T.PILToTensor()])
whole = T.Compose([
    T.RandomResizedCrop(size, scale=(0.08, 1.0)), T.RandomHorizontalFlip(),
    T.RandomApply([T.ColorJitter(0.8, 0.8, 0.8, 0.2)], p=0.8), T.RandomGrayscale(0.2),
    T.RandomApply([T.GaussianBlur(2 * int(3 * 2.0) + 1, (0.1, 2.0))], p=0.5), T.PILToTensor(),
])

def rate(view):
    # Batches stacked as the default collate does.
    t = time.perf_counter()
    for s in range(0, len(imgs) - batch + 1, batch):
        chunk = imgs[s:s + batch]
        for _ in range(2):
            torch.stack([view(im) for im in chunk])
    done = (len(imgs) // batch) * batch
    return done / (time.perf_counter() - t)

rate(whole)  # warm-up
out = {'whole': [], 'crop': []}
for _ in range(runs):
    out['whole'].append(rate(whole))
    out['crop'].append(rate(crop))
print(json.dumps(out))
