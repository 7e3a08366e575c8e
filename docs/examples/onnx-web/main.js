// Browser inference for a model written by `selfsup export onnx`: image → (1, C, H, W) float32
// normalised as in training ((pixel − mean) / std, 0–255 units) → the `features` output.
/* global ort */
const params = new URLSearchParams(location.search);
const modelUrl = params.get('model') ?? 'model.onnx';
const infoUrl = modelUrl.replace(/\.onnx$/, '.json');
const status = (s) => {
  document.getElementById('status').textContent = s;
};

// Single-threaded WebAssembly: threads need cross-origin isolation (COOP/COEP headers).
ort.env.wasm.numThreads = 1;
ort.env.wasm.wasmPaths = new URL('ort/', location.href).href;

/** An image element's pixels, resized to w × h, as a normalised (1, C, h, w) tensor. */
function toTensor(img, info) {
  const [, c, h, w] = info.input.shape;
  const canvas = document.getElementById('view');
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(img, 0, 0, w, h);
  const rgba = ctx.getImageData(0, 0, w, h).data;
  const data = new Float32Array(c * h * w);
  for (let ch = 0; ch < c; ch++) {
    const mean = info.mean[ch];
    const std = info.std[ch];
    for (let i = 0; i < h * w; i++) data[ch * h * w + i] = (rgba[4 * i + Math.min(ch, 2)] - mean) / std;
  }
  return new ort.Tensor('float32', data, [1, c, h, w]);
}

function loadImage(src) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(`cannot decode ${src}`));
    img.src = src;
  });
}

async function embed(session, info, src) {
  const img = await loadImage(src);
  const input = toTensor(img, info);
  const t0 = performance.now();
  const out = await session.run({ [session.inputNames[0]]: input });
  const features = Array.from(out.features.data);
  const norm = Math.hypot(...features);
  document.getElementById('out').textContent = JSON.stringify(features.map((v) => Number(v.toFixed(5))));
  status(`${features.length}-d embedding (‖f‖ = ${norm.toFixed(4)}) in ${(performance.now() - t0).toFixed(1)} ms`);
  window.embedding = features;
  document.body.dataset.done = '1';
}

async function start() {
  const info = await (await fetch(infoUrl)).json();
  const session = await ort.InferenceSession.create(modelUrl, { executionProviders: ['wasm'] });
  document.getElementById('file').addEventListener('change', (e) => {
    const f = e.target.files[0];
    if (f) embed(session, info, URL.createObjectURL(f)).catch((err) => status(`error: ${err.message}`));
  });
  const image = params.get('image');
  if (image) await embed(session, info, image);
  else status('model loaded: choose an image');
}

start().catch((err) => {
  status(`error: ${err.message}`);
  document.body.dataset.error = err.message;
});
