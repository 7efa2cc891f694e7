/**
 * Turns one inbound WebSocket frame into a validated request, or into the error response it deserves:
 * bad JSON → bad_json (id null), nesting or an array beyond the shape limits → invalid_message naming
 * the limit (checked before any schema walks the value), bad envelope → invalid_message, unknown method → unknown_method,
 * data not matching `requests[method]` → invalid_message naming the field (describeZodError).
 */
import {
  METHODS,
  RequestEnvelope,
  describeZodError,
  requests,
  type Method,
  type RequestData,
} from '@lab/proto/signaling';
import { DEFAULT_LIMITS } from '../config.ts';
import { BadJsonError, UnknownMethodError, ValidationError } from '../errors.ts';
import { checkJsonShape, type JsonShapeLimits, type JsonShapeViolation } from '../limits/jsonShape.ts';

export type ParsedRequest = {
  [M in Method]: { ok: true; id: number; method: M; data: RequestData<M> };
}[Method];

export interface RejectedRequest {
  ok: false;
  /** The request id when it could be read, else null (the response then carries `id: null`). */
  id: number | null;
  /** The method when it was a known one (for metrics), else undefined. */
  method?: Method;
  error: Error;
  /** Set when a shape limit refused the message (for the limit counter). */
  limit?: JsonShapeViolation['limit'];
}

const DEFAULT_SHAPE_LIMITS: JsonShapeLimits = { maxDepth: DEFAULT_LIMITS.maxJsonDepth, maxArrayLength: DEFAULT_LIMITS.maxJsonArrayLength };

const METHOD_SET = new Set<string>(METHODS);

function isMethod(name: string): name is Method {
  return METHOD_SET.has(name);
}

/** Best effort: the id of a message whose envelope is otherwise wrong, so the client can match the error. */
function readableId(message: Record<string, unknown>): number | null {
  const { id } = message;
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 ? id : null;
}

export function parseRequest(frame: string, shapeLimits: JsonShapeLimits = DEFAULT_SHAPE_LIMITS): ParsedRequest | RejectedRequest {
  let message: unknown;
  try {
    // V8's JSON.parse is iterative: any nesting within the frame size limit parses (and anything it
    // throws, RangeError included, is caught here and answered as bad_json).
    message = JSON.parse(frame);
  } catch (error) {
    return { ok: false, id: null, error: new BadJsonError(`message is not valid JSON: ${(error as Error).message}`) };
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return { ok: false, id: null, error: new BadJsonError('message must be a JSON object {id, method, data}') };
  }

  const violation = checkJsonShape(message, shapeLimits);
  if (violation) {
    return { ok: false, id: readableId(message as Record<string, unknown>), error: new ValidationError(violation.message), limit: violation.limit };
  }

  const envelope = RequestEnvelope.safeParse(message);
  if (!envelope.success) {
    return {
      ok: false,
      id: readableId(message as Record<string, unknown>),
      error: new ValidationError(describeZodError(envelope.error)),
    };
  }
  const { id, method, data } = envelope.data;
  if (!isMethod(method)) {
    return {
      ok: false,
      id,
      error: new UnknownMethodError(`unknown method ${JSON.stringify(method)}; methods are ${METHODS.join(', ')}`),
    };
  }
  // `data` may be omitted for methods without fields (leave); for the others the schema then names
  // each missing field instead of saying "expected object".
  const parsed = requests[method].safeParse(data ?? {});
  if (!parsed.success) {
    return { ok: false, id, method, error: new ValidationError(`${method}: ${describeZodError(parsed.error)}`) };
  }
  return { ok: true, id, method, data: parsed.data } as ParsedRequest;
}
