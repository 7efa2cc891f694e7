/**
 * `npm run media --workspace e2e [-- <directory> [slots]]`: writes the fake capture files of
 * `slots` participant slots (default 6) into `directory` (default e2e/.media), see fakeMedia.ts.
 */
import path from 'node:path';
import { DEFAULT_MEDIA_DIR, fakeMediaFor } from './fakeMedia.ts';

const directory = path.resolve(process.argv[2] ?? DEFAULT_MEDIA_DIR);
const slots = Number(process.argv[3] ?? 6);
if (!Number.isInteger(slots) || slots < 1) throw new Error(`slots must be a whole number ≥ 1, got ${process.argv[3]}`);
for (let slot = 0; slot < slots; slot += 1) {
  const files = fakeMediaFor(directory, slot);
  console.log(`slot ${slot}: ${path.relative(process.cwd(), files.video)}, ${path.relative(process.cwd(), files.audio)} (${files.pitchHz} Hz)`);
}
