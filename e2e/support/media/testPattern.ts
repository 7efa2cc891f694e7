/**
 * The fake camera's picture, as pure functions of (participant, frame index): the generator writes
 * it into a y4m file (videoFiles.ts), and a receiver's sampled frame is scored against the same
 * function (PSNR, frameScore.ts). No randomness, so the same index is the same picture on every run.
 *
 * Layout of a WIDTH × HEIGHT frame (luma, video range 16..235):
 * - the code band (top CODE_ROWS × CODE_CELL_HEIGHT rows): row 0 holds a CODE_BITS code in black /
 *   white cells (most significant first) — the participant's slot in the high byte, the frame
 *   index in the low byte — and row 1 the same bits inverted, so a reader can tell a clean read
 *   from a blurred or half-updated frame, and a receiver knows whose picture it shows;
 * - below it, a moving picture: a plaid of sines drifting with the index, and a bright square that
 *   crosses the frame — motion for the encoder, and a frozen receiver shows a still one.
 * - the plaid's phase differs per slot, so the pictures differ beyond the code band too.
 * Chroma is flat per participant (a hue of their own), so a picture is easy to tell apart by eye.
 */

export const WIDTH = 320;
export const HEIGHT = 240;
export const FRAMES_PER_SECOND = 20;
/** The file loops (Chromium restarts it): indices repeat every LOOP_FRAMES frames (10 s). */
export const LOOP_FRAMES = 200;

export const CODE_BITS = 16;
export const CODE_CELL_WIDTH = WIDTH / CODE_BITS;
export const CODE_CELL_HEIGHT = 15;
export const CODE_ROWS = 2;
/** First row of the moving picture. */
export const PICTURE_TOP = CODE_ROWS * CODE_CELL_HEIGHT;

const BLACK = 16;
const WHITE = 235;
const SQUARE = 40;

/** A participant's hue: the U / V planes' value. */
export interface Tint {
  u: number;
  v: number;
}

/** Distinct tints, one per participant slot (more slots wrap around). */
const TINTS: Tint[] = [
  { u: 90, v: 170 },
  { u: 170, v: 90 },
  { u: 160, v: 160 },
  { u: 90, v: 90 },
  { u: 128, v: 190 },
  { u: 190, v: 128 },
];

export function tintOf(slot: number): Tint {
  return TINTS[((slot % TINTS.length) + TINTS.length) % TINTS.length]!;
}

/** What a picture's code band says: whose it is and which frame of the loop. */
export interface FrameCode {
  slot: number;
  index: number;
}

const codeValue = ({ slot, index }: FrameCode) => ((slot & 0xff) << 8) | (index & 0xff);

/** Whether bit `bit` (0 = most significant) of the code row `row` is white. */
export function codeBit(code: FrameCode, row: number, bit: number): boolean {
  const set = ((codeValue(code) >> (CODE_BITS - 1 - bit)) & 1) === 1;
  return row === 0 ? set : !set;
}

/** Luma of the moving picture at (x, y), y ≥ PICTURE_TOP, in frame `index` of `slot`. */
function pictureLuma(x: number, y: number, { slot, index }: FrameCode): number {
  const squareX = (index * 3) % (WIDTH - SQUARE);
  const squareY = PICTURE_TOP + 20 + Math.round(((HEIGHT - PICTURE_TOP - SQUARE - 40) / 2) * (1 + Math.sin(index / 10)));
  if (x >= squareX && x < squareX + SQUARE && y >= squareY && y < squareY + SQUARE) return 220;
  const plaid = Math.sin((2 * Math.PI * (x + 4 * index + 11 * slot)) / 64) * Math.cos((2 * Math.PI * (y - 2 * index + 7 * slot)) / 48);
  return Math.round(126 + 70 * plaid);
}

/** The luma plane (WIDTH × HEIGHT bytes, row by row) of a frame. */
export function lumaPlane(code: FrameCode): Uint8Array {
  const plane = new Uint8Array(WIDTH * HEIGHT);
  for (let y = 0; y < HEIGHT; y += 1) {
    for (let x = 0; x < WIDTH; x += 1) {
      let value: number;
      if (y < PICTURE_TOP) {
        const row = Math.floor(y / CODE_CELL_HEIGHT);
        const bit = Math.floor(x / CODE_CELL_WIDTH);
        value = codeBit(code, row, bit) ? WHITE : BLACK;
      } else {
        value = pictureLuma(x, y, code);
      }
      plane[y * WIDTH + x] = value;
    }
  }
  return plane;
}

/**
 * The code read from a picture's code cells, given the brightness (0..255, any range) at the centre
 * of each cell: `cells[row][bit]`. Null when a row and its inverse disagree on any bit (a blurred,
 * half-decoded or foreign picture): never a wrong code from a bad read. (The in-page probe,
 * mediaProbe.browser.js, reads the same way; the unit test keeps the two in step.)
 */
export function readCode(cells: number[][]): FrameCode | null {
  const [plain, inverted] = cells;
  if (!plain || !inverted || plain.length !== CODE_BITS || inverted.length !== CODE_BITS) return null;
  let index = 0;
  for (let bit = 0; bit < CODE_BITS; bit += 1) {
    const one = plain[bit]! > 128;
    if (one === inverted[bit]! > 128) return null;
    index = (index << 1) | (one ? 1 : 0);
  }
  const code = { slot: index >> 8, index: index & 0xff };
  return code.index < LOOP_FRAMES ? code : null;
}

/**
 * The luma of a frame as a receiver's sample shows it: box-averaged down to `width` × `height`
 * (whole divisors of WIDTH / HEIGHT) and stretched from video range to full range, as a browser's
 * YUV → RGB conversion does.
 */
export function referenceLuma(code: FrameCode, width: number, height: number): Float64Array {
  const plane = lumaPlane(code);
  const fx = WIDTH / width;
  const fy = HEIGHT / height;
  if (!Number.isInteger(fx) || !Number.isInteger(fy)) throw new Error(`${width}×${height} does not divide ${WIDTH}×${HEIGHT}`);
  const out = new Float64Array(width * height);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      let sum = 0;
      for (let dy = 0; dy < fy; dy += 1) for (let dx = 0; dx < fx; dx += 1) sum += plane[(y * fy + dy) * WIDTH + x * fx + dx]!;
      const videoRange = sum / (fx * fy);
      out[y * width + x] = Math.max(0, Math.min(255, ((videoRange - 16) * 255) / 219));
    }
  }
  return out;
}
