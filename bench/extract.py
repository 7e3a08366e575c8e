"""PyTorch side of bench/extract.mjs: a torchvision ResNet's (or convnext_tiny's) pooled features of a
random batch at 224 px under inference_mode, eval mode; prints {"ms": median per batch, "peak_mb": peak RSS}."""
import sys
import torch, torchvision
from step_timing import print_median_step

model, batch, threads, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
torch.manual_seed(0)
if model.isdigit():
    net = getattr(torchvision.models, f'resnet{model}')()
    net.fc = torch.nn.Identity()
else:
    # ConvNeXt: the classifier's LayerNorm after pooling is mmpretrain's norm3; only the Linear goes.
    net = getattr(torchvision.models, model)()
    net.classifier[2] = torch.nn.Identity()
net.eval()
x = torch.randint(0, 256, (batch, 3, 224, 224), dtype=torch.uint8)
mean = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)
std = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)

def step():
    with torch.inference_mode():
        f = net((x.float() - mean) / std)
        f.numpy().copy()

print_median_step(step, steps)
