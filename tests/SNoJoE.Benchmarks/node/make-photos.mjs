// 12 MP photos for the comparison of issue 16: each committed test scene (tests/SNoJoE.Service.Tests/BundledModel/Images)
// upscaled to 4000x3000 with fine grain (a fixed xorshift per image) and saved as a quality-90 JPEG, as a phone sends one.
// Usage: node make-photos.mjs --out DIR [--count 12]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';

const { values: args } = parseArgs({ options: { out: { type: 'string' }, count: { type: 'string', default: '12' } } });
if (!args.out) { console.error('error: --out DIR is required'); process.exit(2); }
const scenes = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../SNoJoE.Service.Tests/BundledModel/Images');
const files = ['id', 'ood-objects', 'ood-textures']
  .flatMap(set => fs.readdirSync(path.join(scenes, set)).filter(f => f.endsWith('.jpg')).sort().map(f => path.join(scenes, set, f)))
  .slice(0, Number(args.count));
fs.mkdirSync(args.out, { recursive: true });
for (const [i, file] of files.entries()) {
  const { data, info } = await sharp(file).resize(4000, 3000, { fit: 'fill', kernel: 'cubic' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let state = (0x9E3779B9 * (i + 1)) >>> 0 || 1;
  for (let p = 0; p < data.length; p += 3) {
    state ^= state << 13; state >>>= 0; state ^= state >>> 17; state ^= state << 5; state >>>= 0;
    const grain = (state % 31) - 15;
    for (let c = 0; c < 3; c++) data[p + c] = Math.max(0, Math.min(255, data[p + c] + grain));
  }
  const name = `${String(i).padStart(2, '0')}-${path.basename(path.dirname(file))}-${path.basename(file)}`;
  await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } }).jpeg({ quality: 90 }).toFile(path.join(args.out, name));
}
console.log(`${files.length} photos of 4000x3000 in ${args.out}`);
