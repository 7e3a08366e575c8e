#!/usr/bin/env node
// Finds libtorch for the native build and prints compiler/linker flags for binding.gyp.
// Order: $LIBTORCH (official zip, a pip `torch/` directory, CUDA builds included), then the
// Debian/Ubuntu system install (`apt-get install libtorch-dev`).
import fs from 'node:fs';
import path from 'node:path';

function find() {
  const env = process.env.LIBTORCH;
  if (env) {
    const inc = path.join(env, 'include');
    const lib = path.join(env, 'lib');
    if (!fs.existsSync(path.join(inc, 'ATen', 'ATen.h')) || !fs.existsSync(lib)) {
      throw new Error(
        `LIBTORCH=${env} has no include/ATen/ATen.h and lib/: point it at a libtorch directory (the official zip, or a pip install's torch/ directory)`,
      );
    }
    return {
      inc: [inc, path.join(inc, 'torch', 'csrc', 'api', 'include')],
      lib,
      cmake: path.join(env, 'share', 'cmake', 'Torch', 'TorchConfig.cmake'),
    };
  }
  if (fs.existsSync('/usr/include/ATen/ATen.h')) {
    const multi = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib'].find((d) =>
      fs.existsSync(path.join(d, 'libtorch_cpu.so')),
    );
    if (multi) {
      return {
        inc: ['/usr/include', '/usr/include/torch/csrc/api/include'],
        lib: multi,
        cmake: path.join(multi, 'cmake', 'Torch', 'TorchConfig.cmake'),
      };
    }
  }
  throw new Error(
    'libtorch not found: run `apt-get install libtorch-dev` (Debian 12 / Ubuntu) or set LIBTORCH to a libtorch directory',
  );
}

function abiFlag(t) {
  // pip wheels before 2.7 were built with the old C++ ABI; match whatever libtorch says.
  try {
    const text = fs.readFileSync(t.cmake, 'utf8');
    const m = /_GLIBCXX_USE_CXX11_ABI=([01])/.exec(text);
    if (m) return `-D_GLIBCXX_USE_CXX11_ABI=${m[1]}`;
  } catch {}
  return '-D_GLIBCXX_USE_CXX11_ABI=1';
}

/** The libtorch version from its headers, as [major, minor]. */
function torchVersion(t) {
  for (const d of t.inc) {
    try {
      const text = fs.readFileSync(path.join(d, 'torch', 'csrc', 'api', 'include', 'torch', 'version.h'), 'utf8');
      const major = /TORCH_VERSION_MAJOR (\d+)/.exec(text);
      const minor = /TORCH_VERSION_MINOR (\d+)/.exec(text);
      if (major && minor) return [Number(major[1]), Number(minor[1])];
    } catch {}
    try {
      const text = fs.readFileSync(path.join(d, 'torch', 'version.h'), 'utf8');
      const major = /TORCH_VERSION_MAJOR (\d+)/.exec(text);
      const minor = /TORCH_VERSION_MINOR (\d+)/.exec(text);
      if (major && minor) return [Number(major[1]), Number(minor[1])];
    } catch {}
  }
  return [0, 0];
}

/**
 * Include directories holding `header`: CUDA_HOME / /usr/local/cuda, then the `nvidia/*` packages
 * beside a pip install's torch/ directory (where pip puts the CUDA runtime and NCCL headers).
 */
function findHeaderDir(t, header) {
  const dirs = [];
  if (process.env.CUDA_HOME) dirs.push(path.join(process.env.CUDA_HOME, 'include'));
  dirs.push('/usr/local/cuda/include', '/usr/include');
  const nvidia = path.join(t.lib, '..', '..', 'nvidia');
  if (fs.existsSync(nvidia)) {
    for (const pkg of fs.readdirSync(nvidia)) dirs.push(path.join(nvidia, pkg, 'include'));
  }
  return dirs.find((d) => fs.existsSync(path.join(d, header))) ?? null;
}

/**
 * CUDA builds of libtorch: the CUDA runtime headers give device properties (`cuda.getDeviceProperties`),
 * nccl.h the c10d NCCL backend (libtorch ≥ 2). SELFSUP_NO_CUDA_HEADERS=1 / SELFSUP_NO_NCCL=1 turn them off.
 */
function cudaParts(t, has) {
  const out = { defines: [], inc: [] };
  if (!has('torch_cuda') || process.env.SELFSUP_NO_CUDA_HEADERS === '1') return out;
  const cudaInc = findHeaderDir(t, 'cuda_runtime_api.h');
  if (!cudaInc) return out;
  out.defines.push('-DSELFSUP_CUDA_HEADERS');
  out.inc.push(cudaInc);
  const ncclInc = findHeaderDir(t, 'nccl.h');
  if (ncclInc && torchVersion(t)[0] >= 2 && process.env.SELFSUP_NO_NCCL !== '1') {
    out.defines.push('-DUSE_C10D_NCCL');
    if (ncclInc !== cudaInc) out.inc.push(ncclInc);
  }
  return out;
}

const what = process.argv[2];
try {
  const t = find();
  const has = (name) => fs.existsSync(path.join(t.lib, `lib${name}.so`));
  const cuda = cudaParts(t, has);
  if (what === 'include') console.log([...t.inc, ...cuda.inc].join(' '));
  else if (what === 'cflags') {
    // c10d's Gloo backend needs gloo's headers (Debian: libgloo-dev; pip wheels bundle them).
    const gloo =
      t.inc.some((d) => fs.existsSync(path.join(d, 'gloo', 'config.h'))) || fs.existsSync('/usr/include/gloo/config.h');
    console.log([abiFlag(t), gloo ? '-DUSE_C10D_GLOO' : '', ...cuda.defines].join(' ').trim());
  } else if (what === 'libs') {
    const libs = [`-L${t.lib}`, `-Wl,-rpath,${t.lib}`, '-Wl,--no-as-needed', '-ltorch', '-ltorch_cpu', '-lc10'];
    // CUDA builds register their kernels at load time: link them even though no symbol is used.
    if (has('torch_cuda')) libs.push('-ltorch_cuda');
    if (has('c10_cuda')) libs.push('-lc10_cuda');
    libs.push('-Wl,--as-needed');
    console.log(libs.join(' '));
  } else if (what === 'where') console.log(JSON.stringify(t));
  else throw new Error(`usage: libtorch.mjs include|cflags|libs|where`);
} catch (e) {
  console.error(`selfsup: ${e.message}`);
  process.exit(1);
}
