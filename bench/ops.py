"""Python PyTorch side of bench/ops.mjs: the same cases, same thread count. Prints JSON."""
import json, sys, time
import torch
import torch.nn.functional as F

threads = int(sys.argv[1])
torch.set_num_threads(threads)

def until(fn, limit):
    n = 0; t = time.perf_counter()
    while time.perf_counter() - t < limit:
        fn(); n += 1
    return (time.perf_counter() - t) / n * 1e6

def timeit(fn):
    # Same protocol as ops.mjs: a quarter second of warm-up, then at least half a second timed.
    until(fn, 0.25)
    return until(fn, 0.5)

a = torch.ones(1); m = torch.randn(64, 64); x = torch.randn(8, 16, 32, 32); w = torch.randn(16, 16, 3, 3)
torch.manual_seed(0)
p = [torch.randn(s, requires_grad=True) for s in [(16, 3, 3, 3), (16,), (32, 16, 3, 3), (32,), (10, 32), (10,)]]
xb = torch.randn(32, 3, 32, 32); yb = torch.randint(0, 10, (32,))
def step():
    h = F.relu(F.conv2d(xb, p[0], p[1], padding=1)); h = F.max_pool2d(h, 2)
    h = F.relu(F.conv2d(h, p[2], p[3], padding=1)); h = F.adaptive_avg_pool2d(h, 1).flatten(1)
    loss = F.cross_entropy(F.linear(h, p[4], p[5]), yb); loss.backward()
    with torch.no_grad():
        for q in p: q.sub_(q.grad, alpha=0.01); q.grad.zero_()
out = {
  'add 1-element': timeit(lambda: a + a),
  'matmul 64x64': timeit(lambda: m @ m),
  'conv3x3 8x16x32x32': timeit(lambda: F.conv2d(x, w, padding=1)),
  'train step small conv net (B=32, 32px)': timeit(step),
}
print(json.dumps(out))
