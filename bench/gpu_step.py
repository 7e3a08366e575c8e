"""Python side of bench/gpu_step.mjs: one pre-training step on a GPU (uint8 views copied to the
device, normalised, forward and loss under torch.autocast, GradScaler backward and step), timed
with the loss read back each step (as a training loop that logs it); prints JSON.
  simclr_r50: torchvision ResNet-50 + MMSelfSup's NonLinearNeck (2048-2048-128, BN) + NT-Xent (τ 0.1), SGD.
  mae_vitb:   MAE ViT-B/16 at 224 px (decoder 512-d × 8), 75 % masking, AdamW."""
import json, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

model_name, steps, batch, amp = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
dev = 'cuda'
torch.manual_seed(0)
torch.backends.cudnn.benchmark = False
mean = torch.tensor([123.675, 116.28, 103.53], device=dev).view(1, 3, 1, 1)
std = torch.tensor([58.395, 57.12, 57.375], device=dev).view(1, 3, 1, 1)

if model_name == 'simclr_r50':
    import torchvision
    backbone = torchvision.models.resnet50()
    backbone.fc = nn.Identity()
    neck = nn.Sequential(nn.Linear(2048, 2048, bias=False), nn.BatchNorm1d(2048), nn.ReLU(inplace=True),
                         nn.Linear(2048, 128, bias=False), nn.BatchNorm1d(128))
    model = nn.Sequential(backbone, neck).to(dev).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.3, momentum=0.9, weight_decay=1e-6)
    views = [torch.randint(0, 256, (batch, 3, 224, 224), dtype=torch.uint8) for _ in range(2)]

    def loss_fn(vs):
        x = torch.cat([(v.to(dev, non_blocking=True).float() - mean) / std for v in vs])
        z = F.normalize(model(x), dim=1)
        n = z.shape[0] // 2
        sim = z @ z.t() / 0.1
        sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=dev), float('-inf'))
        target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(dev)
        return F.cross_entropy(sim, target)
else:
    sys.path.insert(0, __file__.rsplit('/', 1)[0])
    from mae_ref import MAE
    model = MAE(img=224, patch=16, dim=768, depth=12, heads=12, ddim=512, ddepth=8, dheads=16).to(dev).train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1.5e-4, betas=(0.9, 0.95), weight_decay=0.05)
    views = [torch.randint(0, 256, (batch, 3, 224, 224), dtype=torch.uint8)]

    def loss_fn(vs):
        return model((vs[0].to(dev, non_blocking=True).float() - mean) / std)

dtype = {'fp16': torch.float16, 'bf16': torch.bfloat16}.get(amp)
scaler = torch.cuda.amp.GradScaler(enabled=amp == 'fp16')


def step():
    opt.zero_grad(set_to_none=True)
    with torch.autocast('cuda', dtype=dtype or torch.float16, enabled=dtype is not None):
        loss = loss_fn(views)
    scaler.scale(loss).backward()
    scaler.step(opt)
    scaler.update()
    return loss.item()


for _ in range(3):
    step()
torch.cuda.synchronize()
torch.cuda.reset_peak_memory_stats()
times = []
for _ in range(steps):
    t = time.perf_counter()
    step()
    torch.cuda.synchronize()
    times.append((time.perf_counter() - t) * 1e3)
times.sort()
print(json.dumps({'ms': times[len(times) // 2], 'peak_mb': torch.cuda.max_memory_allocated() / 2**20}))
