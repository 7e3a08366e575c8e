"""Python side of bench/mae_step.mjs: one MAE pre-training step (preprocess uint8, masked forward,
decoder, loss, backward, AdamW), timed; prints JSON."""
import resource, sys
import torch

threads, steps, batch = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
torch.manual_seed(0)
sys.path.insert(0, __file__.rsplit('/', 1)[0])
from mae_ref import MAE
from step_timing import print_median_step

m = MAE().train()
opt = torch.optim.AdamW([p for p in m.parameters() if p.requires_grad], lr=1.5e-4, betas=(0.9, 0.95), weight_decay=0.05)
views = torch.randint(0, 256, (batch, 3, 32, 32), dtype=torch.uint8)
mean = torch.tensor([125.307, 122.961, 113.8575]).view(1, 3, 1, 1)
std = torch.tensor([51.5865, 50.847, 51.255]).view(1, 3, 1, 1)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def step():
    opt.zero_grad(set_to_none=True)
    loss = m((views.float() - mean) / std)
    loss.backward()
    opt.step()


print_median_step(step, steps, base_mb=base / 1024)
