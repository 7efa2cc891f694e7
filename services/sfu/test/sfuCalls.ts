/**
 * The RPC steps the integration suites build calls from (join, transports, produce, consume,
 * leave…), over one SfuClient, plus the clean-up they need: every peer a test joined is made to
 * leave afterwards, so each test starts from an empty SFU.
 */
import { randomUUID } from 'node:crypto';
import type {
  ConsumeResponse__Output,
  CreateWebRtcTransportResponse__Output,
  GetRoomResponse__Output,
  GetStatusResponse__Output,
} from '@lab/proto/sfu';
import { call, producerRtpParameters, type RouterCapabilities, type SfuClient } from './sfuClient.ts';

export const newRoomId = () => `room-${randomUUID()}`;

/** Polls `read` until `done` holds (for effects that follow an RPC asynchronously). */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `client()` is read at each call: suites create their client in beforeAll. */
export function sfuCalls(client: () => SfuClient) {
  /** Peers joined and not yet made to leave by leaveAll(). */
  const joined = new Set<string>();
  let nextSsrc = 10_000_000;

  /** Joins the room (named `displayName` in the SFU's metrics; default: the peer id). */
  async function join(roomId: string, peerId: string, displayName = ''): Promise<RouterCapabilities> {
    joined.add(JSON.stringify([roomId, peerId]));
    const response = await call<{ rtpCapabilitiesJson: string }>((o, cb) =>
      client().GetRouterRtpCapabilities({ peer: { roomId, peerId }, displayName }, o, cb),
    );
    return JSON.parse(response.rtpCapabilitiesJson) as RouterCapabilities;
  }

  function createTransport(roomId: string, peerId: string, direction = 'TRANSPORT_DIRECTION_SEND') {
    return call<CreateWebRtcTransportResponse__Output>((o, cb) =>
      client().CreateWebRtcTransport({ peer: { roomId, peerId }, direction: direction as 'TRANSPORT_DIRECTION_SEND' }, o, cb),
    );
  }

  async function produce(
    roomId: string,
    peerId: string,
    transportId: string,
    capabilities: RouterCapabilities,
    kind: 'audio' | 'video' = 'audio',
  ): Promise<string> {
    nextSsrc += 1;
    const response = await call<{ producerId: string }>((o, cb) =>
      client().Produce(
        {
          peer: { roomId, peerId },
          transportId,
          kind: kind === 'audio' ? 'MEDIA_KIND_AUDIO' : 'MEDIA_KIND_VIDEO',
          rtpParametersJson: producerRtpParameters(capabilities, kind, nextSsrc),
          source: kind === 'audio' ? 'mic' : 'camera',
          paused: false,
        },
        o,
        cb,
      ),
    );
    return response.producerId;
  }

  function consume(roomId: string, peerId: string, transportId: string, producerId: string, rtpCapabilitiesJson: string) {
    return call<ConsumeResponse__Output>((o, cb) =>
      client().Consume({ peer: { roomId, peerId }, transportId, producerId, rtpCapabilitiesJson }, o, cb),
    );
  }

  function getRoom(roomId: string) {
    return call<GetRoomResponse__Output>((o, cb) => client().GetRoom({ roomId }, o, cb));
  }

  function getStatus() {
    return call<GetStatusResponse__Output>((o, cb) => client().GetStatus({}, o, cb));
  }

  function closePeer(roomId: string, peerId: string, reason = 'left') {
    return call<{ closed: boolean; roomClosed: boolean }>((o, cb) => client().ClosePeer({ peer: { roomId, peerId }, reason }, o, cb));
  }

  /** alice sends audio on her send transport; bob consumes it on his receive transport. */
  async function twoPeerCall(roomId: string, names: { alice?: string; bob?: string } = {}) {
    const capabilities = await join(roomId, 'alice', names.alice);
    await join(roomId, 'bob', names.bob);
    const aliceSend = await createTransport(roomId, 'alice', 'TRANSPORT_DIRECTION_SEND');
    const bobRecv = await createTransport(roomId, 'bob', 'TRANSPORT_DIRECTION_RECV');
    const producerId = await produce(roomId, 'alice', aliceSend.transportId, capabilities);
    const consumer = await consume(roomId, 'bob', bobRecv.transportId, producerId, JSON.stringify(capabilities));
    return { capabilities, aliceSend, bobRecv, producerId, consumer };
  }

  /** Makes every peer joined so far leave (afterEach). */
  async function leaveAll(): Promise<void> {
    for (const key of joined) {
      const [roomId, peerId] = JSON.parse(key) as [string, string];
      await closePeer(roomId, peerId, 'test done').catch(() => {});
    }
    joined.clear();
  }

  /** Forgets the joined peers without asking the SFU (it is going away). */
  function forgetJoined(): void {
    joined.clear();
  }

  return { join, createTransport, produce, consume, getRoom, getStatus, closePeer, twoPeerCall, leaveAll, forgetJoined };
}
