/**
 * Bounds on the shape of a parsed JSON value, checked before any schema looks at it. zod, pino and
 * JSON.stringify (when a request's mediasoup object is forwarded to the SFU) all walk values
 * recursively: a 64 KiB frame nested 12,000 levels deep overflows their stack. This walk uses an
 * explicit stack, so no input can overflow it, and stops at the first violation.
 */
export interface JsonShapeLimits {
  /** Deepest nesting of objects and arrays; the top-level object is depth 1. */
  maxDepth: number;
  /** Most items in any one array. */
  maxArrayLength: number;
}

/** Which limit a value broke, and a message naming it. */
export interface JsonShapeViolation {
  limit: 'json_depth' | 'json_array_length';
  message: string;
}

export function checkJsonShape(value: unknown, limits: JsonShapeLimits): JsonShapeViolation | undefined {
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  while (pending.length > 0) {
    const { value: current, depth } = pending.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth > limits.maxDepth) {
      return { limit: 'json_depth', message: `message nested deeper than ${limits.maxDepth} levels of objects and arrays` };
    }
    const children: unknown[] = Array.isArray(current) ? current : Object.values(current);
    if (Array.isArray(current) && current.length > limits.maxArrayLength) {
      return { limit: 'json_array_length', message: `message has an array of ${current.length} items; at most ${limits.maxArrayLength} are allowed` };
    }
    for (const child of children) {
      if (typeof child === 'object' && child !== null) pending.push({ value: child, depth: depth + 1 });
    }
  }
  return undefined;
}
