"""Python side of bench/train_step.mjs: one training step of a model, timed; prints JSON."""
import json, resource, sys, time
import torch
import torch.nn.functional as F

model_name, threads, steps, channels_last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == '1'
torch.set_num_threads(threads)
torch.manual_seed(0)

if model_name == 'resnet18':
    import torchvision
    m = torchvision.models.resnet18(num_classes=10)
    m.conv1 = torch.nn.Conv2d(3, 64, 3, 1, 1, bias=False); m.maxpool = torch.nn.Identity()
else:
    sys.path.insert(0, __file__.rsplit('/', 1)[0])
    from vit_ref import vit_tiny_patch4
    m = vit_tiny_patch4()
m.train()
x = torch.randn(64, 3, 32, 32); y = torch.randint(0, 10, (64,))
if channels_last:
    m = m.to(memory_format=torch.channels_last); x = x.contiguous(memory_format=torch.channels_last)
params = [p for p in m.parameters()]
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

def step():
    loss = F.cross_entropy(m(x), y)
    loss.backward()
    with torch.no_grad():
        for p in params:
            p.sub_(p.grad, alpha=0.01); p.grad = None

for _ in range(2): step()
times = []
for _ in range(steps):
    t = time.perf_counter(); step(); times.append((time.perf_counter() - t) * 1e3)
times.sort()
print(json.dumps({'ms': times[len(times) // 2], 'peak_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'base_mb': base / 1024}))
