"""What the Python sides of the step benchmarks share: time a step as the selfsup side does."""
import json, resource, time


def peak_mb():
    """Peak RSS of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def print_median_step(step, steps, warmup=2, **extra):
    """Runs `step` `warmup` times untimed, then `steps` times; prints {"ms": median, "peak_mb", **extra}."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append((time.perf_counter() - t) * 1e3)
    times.sort()
    print(json.dumps({'ms': times[len(times) // 2], 'peak_mb': peak_mb(), **extra}))
