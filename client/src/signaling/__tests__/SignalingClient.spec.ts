import { describe, expect, it, vi, afterEach } from 'vitest';
import { SIGNALING_SUBPROTOCOL } from '@lab/proto/signaling';
import { SignalingClient, signalingUrlFor, type SocketLike } from '../SignalingClient.ts';
import { SignalingError } from '../SignalingError.ts';

/** Stands in for the browser WebSocket: records what the client sends, lets the test answer. */
class FakeSocket implements SocketLike {
  readyState = 0;
  protocol = '';
  sent: { id: number; method: string; data: unknown }[] = [];
  closedWith: { code?: number; reason?: string } | undefined;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(
    readonly url: string,
    readonly requestedProtocol: string,
  ) {}

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    this.readyState = 3;
  }
  open(protocol = SIGNALING_SUBPROTOCOL): void {
    this.readyState = 1;
    this.protocol = protocol;
    this.onopen?.({});
  }
  receive(message: unknown): void {
    this.onmessage?.({ data: typeof message === 'string' ? message : JSON.stringify(message) });
  }
  serverClose(code: number, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

async function connected(options: { requestTimeoutMs?: number } = {}) {
  let socket!: FakeSocket;
  const client = new SignalingClient({
    url: 'ws://lab.test/ws',
    ...options,
    createSocket: (url, protocol) => (socket = new FakeSocket(url, protocol)),
  });
  const connecting = client.connect();
  socket.open();
  await connecting;
  return { client, socket };
}

describe('opening ahead of time', () => {
  it('connect() called again (the page opened the socket early) reuses the one socket', async () => {
    const sockets: FakeSocket[] = [];
    const client = new SignalingClient({
      url: 'ws://lab.test/ws',
      createSocket: (url, protocol) => {
        const socket = new FakeSocket(url, protocol);
        sockets.push(socket);
        return socket;
      },
    });
    const early = client.connect();
    const atJoin = client.connect();
    expect(atJoin).toBe(early);
    expect(client.usable).toBe(true);
    sockets[0]!.open();
    await atJoin;
    expect(sockets).toHaveLength(1);
  });

  it('is no longer usable once the server closed the early socket', async () => {
    const { client, socket } = await connected();
    socket.serverClose(1001, 'going away');
    expect(client.usable).toBe(false);
  });
});

const joinResponse = { peerId: 'p1', roomId: 'room-1', routerRtpCapabilities: { codecs: [] }, peers: [], resumeToken: 'resume-token-0123456789' };

afterEach(() => {
  vi.useRealTimers();
});

describe('SignalingClient', () => {
  it('derives the socket URL from the page location', () => {
    expect(signalingUrlFor({ protocol: 'http:', host: 'localhost:8080' })).toBe('ws://localhost:8080/ws');
    expect(signalingUrlFor({ protocol: 'https:', host: 'lab.example' })).toBe('wss://lab.example/ws');
  });

  it('offers the protocol subprotocol and resolves a request with its validated response', async () => {
    const { client, socket } = await connected();
    expect(socket.requestedProtocol).toBe(SIGNALING_SUBPROTOCOL);

    const joining = client.request('join', { roomId: 'room-1', displayName: 'Ada' });
    expect(socket.sent).toEqual([{ id: 1, method: 'join', data: { roomId: 'room-1', displayName: 'Ada' } }]);
    socket.receive({ id: 1, ok: true, data: joinResponse });
    await expect(joining).resolves.toEqual(joinResponse);
  });

  it('fills request defaults from the schema before sending', async () => {
    const { client, socket } = await connected();
    void client.request('produce', { transportId: 't1', kind: 'audio', source: 'mic', rtpParameters: {} });
    expect(socket.sent[0]?.data).toMatchObject({ paused: false });
  });

  it("rejects with the server's error code and message", async () => {
    const { client, socket } = await connected();
    const joining = client.request('join', { roomId: 'room-1', displayName: 'Ada' });
    socket.receive({ id: 1, ok: false, error: { code: 'invalid_state', message: 'already joined' } });
    const error = await joining.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignalingError);
    expect(error).toMatchObject({ code: 'invalid_state', message: 'already joined', method: 'join' });
  });

  it('refuses a request that does not match the protocol without sending it', async () => {
    const { client, socket } = await connected();
    await expect(client.request('join', { roomId: 'no spaces!', displayName: 'Ada' })).rejects.toMatchObject({
      code: 'invalid_request',
      message: expect.stringContaining('roomId must be 1..64 characters'),
    });
    expect(socket.sent).toEqual([]);
  });

  it('rejects a response that does not match the protocol (the page does not trust the server)', async () => {
    const { client, socket } = await connected();
    const joining = client.request('join', { roomId: 'room-1', displayName: 'Ada' });
    socket.receive({ id: 1, ok: true, data: { ...joinResponse, peerId: '' } });
    await expect(joining).rejects.toMatchObject({ code: 'bad_response', message: expect.stringContaining('peerId') });
  });

  it('times out a request that gets no response', async () => {
    vi.useFakeTimers();
    const { client } = await connected({ requestTimeoutMs: 10_000 });
    const leaving = client.request('leave', {});
    const outcome = leaving.catch((e: unknown) => e);
    vi.advanceTimersByTime(10_000);
    expect(await outcome).toMatchObject({ code: 'timeout', method: 'leave' });
  });

  it('fails pending requests and emits close when the server closes the socket', async () => {
    const { client, socket } = await connected();
    const closes: unknown[] = [];
    client.on('close', (event) => closes.push(event));
    const leaving = client.request('leave', {});
    socket.serverClose(1011, 'server going down');
    await expect(leaving).rejects.toMatchObject({ code: 'closed', message: expect.stringContaining('1011') });
    expect(closes).toEqual([{ code: 1011, reason: 'server going down' }]);
    await expect(client.request('leave', {})).rejects.toMatchObject({ code: 'closed' });
  });

  it('delivers validated pushes to their listeners', async () => {
    const { client, socket } = await connected();
    const left: unknown[] = [];
    client.on('peerLeft', (data) => left.push(data));
    socket.receive({ event: 'peerLeft', data: { peerId: 'p2', reason: 'left' } });
    expect(left).toEqual([{ peerId: 'p2', reason: 'left' }]);
  });

  it('reports invalid pushes, unknown events, bad JSON and stray responses as protocol errors', async () => {
    const { client, socket } = await connected();
    const errors: string[] = [];
    const left: unknown[] = [];
    client.on('protocolError', (error) => errors.push(error.message));
    client.on('peerLeft', (data) => left.push(data));

    socket.receive({ event: 'peerLeft', data: { peerId: 42 } });
    socket.receive({ event: 'somethingNew', data: {} });
    socket.receive('{not json');
    socket.receive({ id: 99, ok: true, data: {} });
    socket.receive({ id: null, ok: false, error: { code: 'bad_json', message: 'frame is not JSON' } });

    expect(left).toEqual([]);
    expect(errors).toEqual([
      expect.stringContaining('invalid peerLeft push'),
      expect.stringContaining('unknown push event "somethingNew"'),
      expect.stringContaining('not JSON'),
      expect.stringContaining('unknown request id 99'),
      expect.stringContaining('frame is not JSON'),
    ]);
  });

  it('keeps delivering to other listeners when one throws', async () => {
    const { client, socket } = await connected();
    const seen: string[] = [];
    const thrown: unknown[] = [];
    const onUncaught = (error: unknown) => thrown.push(error);
    process.on('uncaughtException', onUncaught);
    client.on('peerLeft', () => {
      throw new Error('listener bug');
    });
    client.on('peerLeft', ({ peerId }) => seen.push(peerId));
    socket.receive({ event: 'peerLeft', data: { peerId: 'p2', reason: 'left' } });
    await new Promise((resolve) => setTimeout(resolve, 0));
    process.off('uncaughtException', onUncaught);
    expect(seen).toEqual(['p2']);
    expect(thrown).toEqual([new Error('listener bug')]);
  });

  it('fails to connect when the socket closes before opening', async () => {
    let socket!: FakeSocket;
    const client = new SignalingClient({
      url: 'ws://lab.test/ws',
      createSocket: (url, protocol) => (socket = new FakeSocket(url, protocol)),
    });
    const connecting = client.connect();
    socket.serverClose(1006);
    await expect(connecting).rejects.toMatchObject({ code: 'closed', message: expect.stringContaining('ws://lab.test/ws') });
  });

  it('refuses a server that does not speak the subprotocol', async () => {
    let socket!: FakeSocket;
    const client = new SignalingClient({
      url: 'ws://lab.test/ws',
      createSocket: (url, protocol) => (socket = new FakeSocket(url, protocol)),
    });
    const connecting = client.connect();
    socket.open('');
    await expect(connecting).rejects.toMatchObject({ code: 'closed', message: expect.stringContaining(SIGNALING_SUBPROTOCOL) });
    expect(socket.closedWith?.code).toBe(1002);
  });
});
