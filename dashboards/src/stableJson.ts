/**
 * JSON text that depends only on the value, not on the order in which builders set properties:
 * object keys sorted, two-space indent, trailing newline. A regenerated file then differs from the
 * committed one only where the dashboard really changed, and diffs review well.
 */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const child = (value as Record<string, unknown>)[key];
    // What JSON.stringify would drop anyway (the SDK's query objects carry a marker function).
    if (child === undefined || typeof child === 'function') continue;
    sorted[key] = sortKeys(child);
  }
  return sorted;
}
