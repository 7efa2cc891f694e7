/**
 * A peer's name in metrics labels (docs/metrics.md, "Labels"): what a dashboard shows for the
 * `subscriber`, `publisher` and `peer` labels of both services. Decided once, when the peer joins,
 * and handed to the SFU with the join, so the SFU's and the browser's series of one stream carry the
 * same labels.
 */

/** Long enough to tell people apart on a panel, short enough to keep legends readable. */
export const MAX_METRICS_NAME_CHARS = 32;
/** Characters of the peer id appended when the name is taken: enough to tell two peers apart. */
const ID_SUFFIX_CHARS = 6;

/**
 * The display name without control, format or separator characters (a newline or a right-to-left
 * override would garble a legend), spaces collapsed, cut to {@link MAX_METRICS_NAME_CHARS}.
 */
export function sanitizeForLabel(displayName: string): string {
  const cleaned = displayName
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '')
    .replace(/\s+/gu, ' ')
    .trim();
  const chars = [...cleaned];
  return chars.length <= MAX_METRICS_NAME_CHARS ? cleaned : `${chars.slice(0, MAX_METRICS_NAME_CHARS - 1).join('')}…`;
}

/**
 * The metrics name of a peer joining with `displayName` and `peerId`, given the display names of the
 * peers already in the room: the sanitized name, with ` #` and the start of the peer id appended
 * when someone there has the same one (so two peers of a room never share a metrics name).
 */
export function metricsName(displayName: string, peerId: string, othersInRoom: readonly string[]): string {
  const name = sanitizeForLabel(displayName) || peerId.slice(0, ID_SUFFIX_CHARS);
  const taken = othersInRoom.some((other) => sanitizeForLabel(other) === name);
  return taken ? `${name} #${peerId.slice(0, ID_SUFFIX_CHARS)}` : name;
}
