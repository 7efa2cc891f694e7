/** How the connection details write their figures; "—" where there is no figure (yet). */

export const NO_FIGURE = '—';

export function formatBitrate(bps: number | null | undefined): string {
  if (bps == null || !Number.isFinite(bps) || bps < 0) return NO_FIGURE;
  if (bps >= 1e6) return `${(bps / 1e6).toFixed(2)} Mbit/s`;
  return `${Math.round(bps / 1e3)} kbit/s`;
}

/** 0..1 as a percentage: one decimal below 10 %, none above. */
export function formatLoss(fraction: number | null | undefined): string {
  if (fraction == null || !Number.isFinite(fraction) || fraction < 0) return NO_FIGURE;
  const percent = fraction * 100;
  if (percent === 0) return '0%';
  return percent < 10 ? `${percent.toFixed(1)}%` : `${Math.round(percent)}%`;
}

/** Seconds as whole milliseconds. */
export function formatMilliseconds(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return NO_FIGURE;
  return `${Math.round(seconds * 1000)} ms`;
}

export function formatResolution(width: number | null | undefined, height: number | null | undefined): string {
  if (!width || !height) return NO_FIGURE;
  return `${width}×${height}`;
}

export function formatFrameRate(fps: number | null | undefined): string {
  if (fps == null || !Number.isFinite(fps) || fps < 0) return NO_FIGURE;
  return `${Math.round(fps)} fps`;
}
