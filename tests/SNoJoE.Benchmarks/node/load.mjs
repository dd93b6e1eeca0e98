// Closed-loop load on a scoring endpoint for the comparison of issue 16: each of --concurrency callers posts the next JPEG
// (raw image/jpeg body) as soon as its last answer arrived; counts answers that ended inside the measured window.
// Usage: node load.mjs --url http://127.0.0.1:8091/score --images DIR [--concurrency 4] [--warmup 10] [--duration 30]
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' }, images: { type: 'string' }, concurrency: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '10' }, duration: { type: 'string', default: '30' },
  },
});
if (!args.url || !args.images) { console.error('error: --url and --images are required'); process.exit(2); }
const jpegs = fs.readdirSync(args.images).filter(f => /\.jpe?g$/i.test(f)).sort().map(f => fs.readFileSync(path.join(args.images, f)));
if (jpegs.length === 0) { console.error(`error: no JPEG in ${args.images}`); process.exit(2); }
const concurrency = Number(args.concurrency), warmupMs = 1000 * Number(args.warmup), durationMs = 1000 * Number(args.duration);

let next = 0, stop = false;
const samples = [];
const errors = {};
async function caller() {
  while (!stop) {
    const body = jpegs[next++ % jpegs.length];
    const started = performance.now();
    try {
      const response = await fetch(args.url, { method: 'POST', body, headers: { 'content-type': 'image/jpeg' } });
      await response.arrayBuffer();
      if (response.status === 200) samples.push({ end: performance.now(), ms: performance.now() - started });
      else errors[response.status] = (errors[response.status] ?? 0) + 1;
    } catch (e) {
      errors[e.name] = (errors[e.name] ?? 0) + 1;
    }
  }
}
const t0 = performance.now();
const callers = Array.from({ length: concurrency }, caller);
await new Promise(r => setTimeout(r, warmupMs));
const windowStart = performance.now();
await new Promise(r => setTimeout(r, durationMs));
const windowEnd = performance.now();
stop = true;
await Promise.all(callers);
const counted = samples.filter(s => s.end >= windowStart && s.end <= windowEnd).map(s => s.ms).sort((a, b) => a - b);
const q = p => counted.length ? counted[Math.min(counted.length - 1, Math.floor(p * counted.length))] : null;
const result = {
  url: args.url, images: jpegs.length, meanBytes: jpegs.reduce((s, j) => s + j.length, 0) / jpegs.length, concurrency,
  windowSeconds: (windowEnd - windowStart) / 1000, answered: counted.length, requestsPerSecond: counted.length / ((windowEnd - windowStart) / 1000),
  p50Ms: q(0.5), p90Ms: q(0.9), p99Ms: q(0.99), errors,
};
console.log(JSON.stringify(result));
