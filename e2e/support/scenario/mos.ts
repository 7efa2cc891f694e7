/**
 * Estimated MOS of a voice stream, from the ITU-T G.107 E-model with its default values except the
 * two terms a call measures: the one-way delay (Id) and the packet loss (Ie-eff).
 *
 *   R = 93.2 − Id − Ie-eff                                   (R0 − Is = 93.2, A = 0)
 *   Id = 0.024·d + 0.11·(d − 177.3)·[d > 177.3]             (d: one-way mouth-to-ear delay, ms;
 *                                                            Cole & Rosenbluth's fit of G.107's Idd)
 *   Ie-eff = Ie + (95 − Ie) · Ppl / (Ppl + Bpl)             (random loss: BurstR = 1)
 *   MOS = 1 + 0.035·R + R·(R − 60)·(100 − R)·7·10⁻⁶         (1 for R < 0, 4.5 for R > 100)
 *
 * Opus is not in G.113's tables; the values used are the ones commonly taken for wideband Opus
 * with its concealment: Ie = 0 (the codec itself costs nothing at call bitrates) and Bpl = 20
 * (robustness to random loss, between G.711 with PLC at 25.1 and narrowband codecs around 10-20).
 * The delay a scenario knows is the network's (the two links' round trips, halved) plus the
 * receiver's jitter buffer, estimated as twice the stream's jitter but at least 40 ms, plus 20 ms of
 * packetisation: an estimate for comparing calls, not a listening test.
 */

const R_DEFAULT = 93.2;
const IE_OPUS = 0;
const BPL_OPUS = 20;
const PACKETISATION_MS = 20;
const MIN_JITTER_BUFFER_MS = 40;

export interface VoicePath {
  /** Packets lost end to end, percent (0..100). */
  lossPercent: number;
  /** Round trips of the sender's and the receiver's links to the SFU, seconds (null: unknown, taken as 0). */
  uplinkRttSeconds: number | null;
  downlinkRttSeconds: number | null;
  /** The receiver's interarrival jitter of the stream, seconds. */
  jitterSeconds: number;
}

export function oneWayDelayMs(path: VoicePath): number {
  const network = (((path.uplinkRttSeconds ?? 0) + (path.downlinkRttSeconds ?? 0)) / 2) * 1000;
  const jitterBuffer = Math.max(MIN_JITTER_BUFFER_MS, 2 * path.jitterSeconds * 1000);
  return network + jitterBuffer + PACKETISATION_MS;
}

export function rFactor(path: VoicePath): number {
  const d = oneWayDelayMs(path);
  const id = 0.024 * d + (d > 177.3 ? 0.11 * (d - 177.3) : 0);
  const ppl = Math.max(0, Math.min(100, path.lossPercent));
  const ieEff = IE_OPUS + ((95 - IE_OPUS) * ppl) / (ppl + BPL_OPUS);
  return R_DEFAULT - id - ieEff;
}

export function mosFromR(r: number): number {
  if (r <= 0) return 1;
  if (r >= 100) return 4.5;
  return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
}

export function estimatedMos(path: VoicePath): number {
  return mosFromR(rFactor(path));
}
