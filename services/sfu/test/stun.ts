/**
 * A minimal ICE connectivity check (RFC 8445 / RFC 5389 STUN Binding request), enough to move a
 * mediasoup WebRTC transport's ICE state without a browser: USERNAME, PRIORITY, ICE-CONTROLLING,
 * USE-CANDIDATE, MESSAGE-INTEGRITY (HMAC-SHA1 keyed by the SFU's ICE password) and FINGERPRINT —
 * the attributes mediasoup's IceServer requires.
 */
import { createHmac, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { crc32 } from 'node:zlib';

const MAGIC_COOKIE = 0x2112a442;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;

function attribute(type: number, value: Buffer): Buffer {
  const padded = Buffer.alloc(4 + Math.ceil(value.length / 4) * 4);
  padded.writeUInt16BE(type, 0);
  padded.writeUInt16BE(value.length, 2);
  value.copy(padded, 4);
  return padded;
}

function header(bodyLength: number, transactionId: Buffer): Buffer {
  const buffer = Buffer.alloc(20);
  buffer.writeUInt16BE(BINDING_REQUEST, 0);
  buffer.writeUInt16BE(bodyLength, 2);
  buffer.writeUInt32BE(MAGIC_COOKIE, 4);
  transactionId.copy(buffer, 8);
  return buffer;
}

/** A Binding request from a controlling ICE agent that nominates the pair (USE-CANDIDATE). */
export function bindingRequest(ice: { serverUsernameFragment: string; serverPassword: string }): Buffer {
  const transactionId = randomBytes(12);
  const priority = Buffer.alloc(4);
  priority.writeUInt32BE(0x6e0001ff, 0);
  let body = Buffer.concat([
    attribute(0x0006, Buffer.from(`${ice.serverUsernameFragment}:testclient`)), // USERNAME
    attribute(0x0024, priority), // PRIORITY
    attribute(0x802a, randomBytes(8)), // ICE-CONTROLLING (tie breaker)
    attribute(0x0025, Buffer.alloc(0)), // USE-CANDIDATE
  ]);
  // MESSAGE-INTEGRITY covers the message with a length that already counts its own 24 bytes.
  const integrity = createHmac('sha1', ice.serverPassword)
    .update(Buffer.concat([header(body.length + 24, transactionId), body]))
    .digest();
  body = Buffer.concat([body, attribute(0x0008, integrity)]);
  // FINGERPRINT likewise counts its own 8 bytes.
  const fingerprint = Buffer.alloc(4);
  fingerprint.writeUInt32BE((crc32(Buffer.concat([header(body.length + 8, transactionId), body])) ^ 0x5354554e) >>> 0, 0);
  body = Buffer.concat([body, attribute(0x8028, fingerprint)]);
  return Buffer.concat([header(body.length, transactionId), body]);
}

/** Sends the request to address:port over UDP and resolves with true when a Binding success response comes back. */
export function sendBindingRequest(address: string, port: number, request: Buffer, timeoutMs = 5000): Promise<boolean> {
  const socket = dgram.createSocket('udp4');
  return new Promise<boolean>((resolve, reject) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    socket.on('message', (message) => {
      if (message.length >= 20 && message.readUInt16BE(0) === BINDING_SUCCESS && message.subarray(8, 20).equals(request.subarray(8, 20))) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.send(request, port, address);
  }).finally(() => socket.close());
}
