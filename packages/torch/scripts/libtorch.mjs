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

const what = process.argv[2];
try {
  const t = find();
  const has = (name) => fs.existsSync(path.join(t.lib, `lib${name}.so`));
  if (what === 'include') console.log(t.inc.join(' '));
  else if (what === 'cflags') {
    // c10d's Gloo backend needs gloo's headers (Debian: libgloo-dev; pip wheels bundle them).
    const gloo =
      t.inc.some((d) => fs.existsSync(path.join(d, 'gloo', 'config.h'))) || fs.existsSync('/usr/include/gloo/config.h');
    console.log([abiFlag(t), gloo ? '-DUSE_C10D_GLOO' : ''].join(' ').trim());
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
