// A plain Node scoring service for the comparison of issue 16 (not part of the product): POST /score with a raw JPEG body
// -> sharp (libvips: JPEG shrink-on-load, EXIF rotation, linear resize to the model's input) -> onnxruntime-node -> JSON.
// The preprocessing follows the model's manifest (size, channel order, scale, mean, std) as SNoJoE.Core's Preprocessor does.
// Usage: node server.mjs --model ../../../models/snojoe-resnet18-vocsynth.int8.onnx [--port 8091] [--threads 2]
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import ort from 'onnxruntime-node';

const { values: args } = parseArgs({
  options: { model: { type: 'string' }, port: { type: 'string', default: '8091' }, threads: { type: 'string', default: '2' },
    // sharp's default (true) decodes a JPEG at the smallest of 1/2, 1/4, 1/8 that still covers the output (1/8 for a
    // 4000x3000 photo to 224x224); false leaves at least a factor of two for the resize (1/4 there), the scale
    // SNoJoE.Service decodes at (Preprocessor.MinimumSourceSide, twice the input side).
    'fast-shrink-on-load': { type: 'string', default: 'true' } },
});
if (!args.model) { console.error('error: --model M.onnx is required'); process.exit(2); }
if (!['true', 'false'].includes(args['fast-shrink-on-load'])) { console.error('error: --fast-shrink-on-load must be true or false'); process.exit(2); }
const fastShrinkOnLoad = args['fast-shrink-on-load'] === 'true';
const threads = Number(args.threads);
const manifest = JSON.parse(fs.readFileSync(args.model.replace(/\.onnx$/, '.json'), 'utf8'));
const { width, height, channelOrder, scale, mean, std } = manifest.input;
const source = channelOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2];
sharp.concurrency(threads);          // libvips worker threads per image operation
sharp.cache(false);
const session = await ort.InferenceSession.create(args.model, {
  intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
});
const labels = manifest.labels;
const threshold = manifest.energyThreshold;

async function score(jpeg) {
  const started = performance.now();
  const { data } = await sharp(jpeg, { failOn: 'none', limitInputPixels: 40_000_000 })
    .rotate()                                       // EXIF orientation
    .resize(width, height, { fit: 'fill', kernel: 'linear', fastShrinkOnLoad })
    .removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const plane = width * height;
  const tensor = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const s = source[c], m = scale / std[c], o = -mean[c] / std[c];
    for (let i = 0; i < plane; i++) tensor[c * plane + i] = data[3 * i + s] * m + o;
  }
  const decoded = performance.now();
  const output = await session.run({ [manifest.input.name ?? 'image']: new ort.Tensor('float32', tensor, [1, 3, height, width]) });
  const logits = Array.from(output[manifest.outputs.logits].data);
  const energy = output[manifest.outputs.jointEnergy].data[0];
  return {
    labels: logits.map((l, i) => ({ label: labels[i], probability: 1 / (1 + Math.exp(-l)) })).filter(l => l.probability >= 0.5).map(l => l.label),
    logits, jointEnergy: energy, threshold, isOutOfDistribution: energy < threshold,
    timings: { decodeMs: decoded - started, inferenceMs: performance.now() - decoded },
  };
}

const server = http.createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/health/ready') { response.end('ok'); return; }
  if (request.method !== 'POST' || request.url !== '/score') { response.writeHead(404).end(); return; }
  const chunks = [];
  request.on('data', chunk => chunks.push(chunk));
  request.on('end', async () => {
    try {
      const body = JSON.stringify(await score(Buffer.concat(chunks)));
      response.writeHead(200, { 'content-type': 'application/json' }).end(body);
    } catch (e) {
      response.writeHead(400, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ title: 'Undecodable image', detail: String(e.message) }));
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(args.port), '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${args.port} (${path.basename(args.model)}, ${threads} threads, fastShrinkOnLoad ${fastShrinkOnLoad})`));
