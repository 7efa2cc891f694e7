/**
 * One participation in a room: the signaling socket plus a mediasoup-client Device with a send and a
 * receive transport. It turns the protocol's requests and pushes into media (produce the local mic
 * and camera, consume every producer of every other peer) and reports what happens as typed events;
 * the store (state/CallStore.tsx) turns those into what the page shows.
 *
 * It also keeps the call up through faults: a lost socket is reconnected with backoff and the
 * session resumed (or, when the server no longer holds it, joined again); a `mediaReset` from the
 * server (the SFU lost this peer's media) and a rejoin set the media up again from scratch; a failed
 * ICE connection is restarted until it recovers.
 */
import { Device } from 'mediasoup-client';
import type { Consumer, Producer, RtpCapabilities, RtpParameters, Transport } from 'mediasoup-client/types';
import type { MediaKind, MediaSource, MutableSource, PeerInfo, ProducerInfo, PushData } from '@lab/proto/signaling';
import { Emitter } from '../lib/Emitter.ts';
import { SignalingClient, type SocketFactory } from '../signaling/SignalingClient.ts';
import { SignalingError } from '../signaling/SignalingError.ts';
import { sleep, withBackoff } from '../lib/backoff.ts';
import { StatsReporter, collectStatsSample } from '../telemetry/StatsReporter.ts';
import type { LocalMedia } from './LocalMedia.ts';
import type { LocalSendStats, PeerReceiveStats, StatsDump } from '@lab/proto/lab-surface';
import {
  audioReceiveStats,
  audioSendStats,
  inboundStreamReading,
  selectedCandidatePairStats,
  videoReceiveStats,
  videoSendStats,
  type InboundStreamReading,
} from '@lab/proto/rtc-stats';
import { statsOf } from './statsOf.ts';

export interface RemotePeer {
  peerId: string;
  displayName: string;
  audioMuted: boolean;
  videoMuted: boolean;
}

export interface RemoteTrack {
  peerId: string;
  consumerId: string;
  source: MediaSource;
  kind: MediaKind;
  track: MediaStreamTrack;
}

export type CallSessionEvents = {
  /** The server took us into the room (the join is answered; media is still being set up). */
  entered: [{ peerId: string; roomId: string }];
  /** A peer appeared or its name / mute state changed. */
  peer: [RemotePeer];
  /** A peer's mic / camera changed (authoritative, from the server). */
  peerMedia: [{ peerId: string; audioMuted: boolean; videoMuted: boolean }];
  peerRemoved: [peerId: string, reason: string];
  trackAdded: [RemoteTrack];
  trackRemoved: [{ peerId: string; consumerId: string; source: MediaSource }];
  /** The server's (authoritative) view of this peer's mic / camera. */
  localMuted: [{ audioMuted: boolean; videoMuted: boolean }];
  /** Something failed but the call goes on (one consume, a mute request, an ICE restart). */
  error: [Error];
  /** The session is over: `left` on request, `lost` when the server or network ended it for good. */
  ended: [{ reason: 'left' | 'lost'; error?: Error }];
  /** The signaling connection was lost and is being re-established, or is back. */
  connection: ['reconnecting' | 'connected'];
  /** The page's media is being set up again (the server said the SFU lost it, or the page rejoined). */
  mediaReset: [reason: string];
  /** Who speaks in the room now (this page's own peer included); null: nobody. */
  activeSpeaker: [peerId: string | null];
  /** mediasoup's 0..10 scores of one of this page's consumers (what it receives, and the sender's uplink). */
  consumerScore: [PushData<'consumerScore'>];
};

/** What the page receives from one person now: their streams' readings and the receive transport's RTT. */
export interface PeerLineReading {
  video: InboundStreamReading | null;
  audio: InboundStreamReading | null;
  /** Seconds, the receive transport's selected candidate pair (the telemetry's `transports.recv`). */
  roundTripSeconds: number | null;
}

/**
 * How long one reading of the receive transport serves every tile: just under the details panel's
 * 1 s refresh, so an open panel still gets a new reading each time.
 */
const SHARED_READING_MS = 900;
/** How long the page keeps trying to get back to the server before it gives up on the call. */
const RECONNECT_GIVE_UP_MS = 120_000;
/** An ICE connection 'disconnected' this long is restarted ('failed' is restarted at once). */
const ICE_DISCONNECTED_GRACE_MS = 2_000;
/** After an ICE restart, how long to wait for the connection before trying again. */
const ICE_RESTART_WAIT_MS = 5_000;
/** Protocol errors after which the same request may work a little later. */
const TRANSIENT_ERRORS = new Set(['unavailable', 'timeout', 'rate_limited']);

export interface CallSessionOptions {
  signalingUrl: string;
  /** Where the local mic and camera tracks come from. */
  localMedia: Pick<LocalMedia, 'track'>;
  /** Initial mic / camera state chosen on the join form. */
  audioMuted: boolean;
  videoMuted: boolean;
  createSocket?: SocketFactory;
  /** A client for `signalingUrl` opened ahead of time (see CallStore); default: a new one. */
  signaling?: SignalingClient;
  /** Default: a Device for this browser. Unit tests pass one with mediasoup-client's FakeHandler. */
  device?: Device;
  /** How often the page reports its getStats() sample while joined; default STATS_REPORT_INTERVAL_MS (5 s). */
  statsIntervalMs?: number;
}

interface ConsumerEntry {
  consumer: Consumer;
  peerId: string;
  source: MediaSource;
}

export class CallSession extends Emitter<CallSessionEvents> {
  readonly #options: CallSessionOptions;
  #signaling: SignalingClient;
  readonly #device: Device;
  readonly #producers = new Map<MediaSource, Producer>();
  readonly #consumers = new Map<string, ConsumerEntry>();
  /** Producers being consumed or already consumed; a producer can be announced twice (join + push). */
  readonly #consumedProducerIds = new Set<string>();
  /** Peers that left; a late push must not bring their tile back. */
  readonly #departedPeerIds = new Set<string>();
  /** Producers that closed; a consume of one still being set up must not bring its track back. */
  readonly #closedProducerIds = new Set<string>();
  #sendTransport: Transport | undefined;
  #recvTransport: Transport | undefined;
  /** The last getStats() of #recvTransport, shared by the tiles' connection indicators. */
  #recvReading?: { transport: Transport | undefined; at: number; report: Promise<RTCStatsReport | null> };
  /** Resolves once the receive transport exists, so pushes that arrive earlier can wait for it. */
  #recvReady: Promise<Transport>;
  #resolveRecvReady!: (transport: Transport) => void;
  /** Mute requests run one after another, so fast clicks reach the server in click order. */
  #muteChain: Promise<unknown> = Promise.resolve();
  /**
   * What creates, replaces or closes this page's producers (the join, a media reset, a device
   * switched or lost, a screen share) runs one thing at a time, so two of them never produce the same
   * source twice or replace a track on a producer being closed.
   */
  #localChain: Promise<unknown> = Promise.resolve();
  /** Sends the page's stats sample every few seconds while joined. */
  readonly #statsReporter: StatsReporter;
  #peerId: string | undefined;
  #roomId: string | undefined;
  #displayName = '';
  #joined = false;
  #ended = false;
  /** Every producer of the other peers the page knows of (what it should be receiving). */
  readonly #remoteProducers = new Map<string, { peerId: string; producer: ProducerInfo }>();
  /** The other peers shown now. */
  readonly #remotePeerIds = new Set<string>();
  /** Bumped each time the media is set up again: work of an older setup is then abandoned. */
  #mediaEpoch = 0;
  /** Secret for `resume` on a new socket (from the join). */
  #resumeToken = '';
  #reconnecting = false;
  /** Transports whose ICE connection is being restarted. */
  readonly #iceRecovering = new WeakSet<Transport>();
  /** This page's mic / camera state as the server last confirmed it (restored after a media reset). */
  #localMuted: { audioMuted: boolean; videoMuted: boolean };

  constructor(options: CallSessionOptions) {
    super();
    this.#options = options;
    this.#device = options.device ?? new Device();
    this.#signaling = options.signaling ?? new SignalingClient({ url: options.signalingUrl, createSocket: options.createSocket });
    this.#recvReady = new Promise((resolve) => (this.#resolveRecvReady = resolve));
    this.#localMuted = { audioMuted: options.audioMuted, videoMuted: options.videoMuted };
    this.on('localMuted', (state) => (this.#localMuted = { ...state }));
    this.#statsReporter = new StatsReporter({
      intervalMs: options.statsIntervalMs,
      collect: () =>
        collectStatsSample({
          consumers: () => [...this.#consumers.values()].map(({ consumer }) => consumer),
          producers: () => this.#producers.entries(),
          transports: () => ({ send: this.#sendTransport, recv: this.#recvTransport }),
        }),
      send: (sample) => this.#signaling.request('reportStats', sample),
    });
    this.#listenToPushes(this.#signaling);
  }

  get peerId(): string | undefined {
    return this.#peerId;
  }

  get roomId(): string | undefined {
    return this.#roomId;
  }

  /**
   * Connects, joins the room, opens both transports, starts sending the local tracks and receiving
   * everyone else. Rejects (after releasing everything) if any step fails.
   */
  async join(roomId: string, displayName: string): Promise<{ peerId: string; roomId: string }> {
    try {
      await this.#signaling.connect();
      const joining = this.#signaling.request('join', { roomId, displayName });
      // Pipelined behind the join: the server answers a socket's requests in order, so this one is
      // handled as soon as the join is, instead of a round trip after the join's answer reaches us.
      // If the join fails this fails too; the join's error is the one reported.
      const recvTransportRequested = this.#signaling.request('createTransport', { direction: 'recv' });
      recvTransportRequested.catch(() => {});
      const joined = await joining;
      this.#peerId = joined.peerId;
      this.#roomId = joined.roomId;
      this.#displayName = displayName;
      this.#resumeToken = joined.resumeToken;
      this.emit('entered', { peerId: joined.peerId, roomId: joined.roomId });
      this.emit('activeSpeaker', joined.activeSpeakerPeerId ?? null);
      // The server validates capabilities field by field; the protocol only promises an object.
      const deviceLoaded = this.#device.load({ routerRtpCapabilities: joined.routerRtpCapabilities as unknown as RtpCapabilities });

      this.#applyPeers(joined.peers);
      // Receiving what is already there comes first: the first remote frame is what a joining person
      // waits for. The server answers a socket's requests in order, so anything we send for our own
      // media (the send transport, produce) would queue ahead of the consume and resume requests, and
      // starting the encoders competes for CPU: sending starts once the consumers are set up, which
      // delays what the others see of us by one round trip (~15 ms).
      this.#recvTransport = await this.#createTransport('recv', deviceLoaded, recvTransportRequested);
      this.#resolveRecvReady(this.#recvTransport);
      // Video first: mediasoup-client negotiates one consumer at a time, and a face is what people
      // wait for (audio is a few tens of milliseconds behind).
      const existing = joined.peers.flatMap((peer) => peer.producers.map((producer) => ({ peerId: peer.peerId, producer })));
      existing.sort((a, b) => Number(b.producer.kind === 'video') - Number(a.producer.kind === 'video'));
      await Promise.all(existing.map(({ peerId, producer }) => this.#consumeInBackground(peerId, producer)));

      this.#sendTransport = await this.#createTransport('send', deviceLoaded);
      await this.#serialLocal(() => this.#produceLocalTracks());
      this.#joined = true;
      this.#statsReporter.start();
      return { peerId: joined.peerId, roomId: joined.roomId };
    } catch (error) {
      this.#teardown();
      throw error;
    }
  }

  /**
   * A local track changed (see LocalMedia's `track` event): a new device's track replaces the old one
   * on its producer (no renegotiation: the others' consumers stay as they are); a source that had no
   * producer (granted after a refusal, a screen share started) is produced; a source whose track is
   * gone (unplugged with no other device, screen share stopped) has its producer closed, so the
   * others drop it. Before the send transport exists the current track is produced when it does.
   * Failures are reported as 'error' events.
   */
  updateLocalTrack(source: MediaSource, track: MediaStreamTrack | null): Promise<void> {
    return this.#serialLocal(async () => {
      const transport = this.#sendTransport;
      if (this.#ended || !transport || transport.closed) return;
      const producer = this.#producers.get(source);
      if (producer && track) await producer.replaceTrack({ track });
      else if (producer) await this.#closeLocalProducer(source, producer);
      else if (track) await this.#produceSource(transport, source, track, false);
    }).catch((error: unknown) => {
      if (!this.#ended) this.emit('error', new Error(`${describeSourceChange(source, track)} failed: ${messageOf(error)}`));
    });
  }

  /** Mic mute / camera off (and back): pauses the local producer at once, then tells the server. */
  setMuted(source: MutableSource, muted: boolean): Promise<void> {
    const run = async () => {
      const producer = this.#producers.get(source);
      if (!muted && !producer) {
        throw new Error(source === 'mic' ? 'There is no microphone to unmute.' : 'There is no camera to turn on.');
      }
      const wasPaused = producer?.paused ?? true;
      if (muted) producer?.pause();
      else producer?.resume();
      try {
        const state = await this.#signaling.request('setMuted', { source, muted });
        this.emit('localMuted', state);
      } catch (error) {
        // Keep the local producer consistent with what the server (and the others) believe.
        if (wasPaused) producer?.pause();
        else producer?.resume();
        throw error;
      }
    };
    const result = this.#muteChain.then(run, run);
    this.#muteChain = result.catch(() => {});
    return result;
  }

  /** Figures of what this page receives from each other peer (see window.__lab.stats()). */
  async receiveStats(): Promise<PeerReceiveStats[]> {
    const byPeer = new Map<string, PeerReceiveStats>();
    await Promise.all(
      [...this.#consumers.values()].map(async ({ consumer, peerId, source }) => {
        if (consumer.closed) return;
        const entry = byPeer.get(peerId) ?? { peerId, video: null, audio: null, screen: null };
        byPeer.set(peerId, entry);
        const report = await statsOf(consumer);
        if (!report) return;
        if (source === 'screen') entry.screen = videoReceiveStats(report);
        else if (consumer.kind === 'video') entry.video = videoReceiveStats(report);
        else entry.audio = audioReceiveStats(report);
      }),
    );
    return [...byPeer.values()];
  }

  /**
   * What this page receives from `peerId`'s camera and microphone now, for the connection indicator
   * and details. Every tile asks on its own timer; they share one getStats() of the receive
   * transport (its report holds every received stream and the RTT), so the page's cost does not
   * grow with the number of tiles.
   */
  async peerLine(peerId: string): Promise<PeerLineReading> {
    const line: PeerLineReading = { video: null, audio: null, roundTripSeconds: null };
    const report = await this.#sharedRecvReport();
    if (!report) return line;
    for (const { consumer, peerId: owner, source } of this.#consumers.values()) {
      if (owner !== peerId || source === 'screen' || consumer.closed) continue;
      line[consumer.kind] = inboundStreamReading(report, consumer.kind, consumer.track.id);
    }
    line.roundTripSeconds = selectedCandidatePairStats(report)?.currentRoundTripTime ?? null;
    return line;
  }

  /** The receive transport's report, read at most once per SHARED_READING_MS for all who ask. */
  #sharedRecvReport(): Promise<RTCStatsReport | null> {
    const transport = this.#recvTransport;
    const now = performance.now();
    const last = this.#recvReading;
    if (last && last.transport === transport && now - last.at < SHARED_READING_MS) return last.report;
    const report = statsOf(transport);
    // A failed reading is not shared: the next asker tries again.
    report.catch(() => {
      if (this.#recvReading?.report === report) this.#recvReading = undefined;
    });
    this.#recvReading = { transport, at: now, report };
    return report;
  }

  /** Both transports' whole getStats() reports (see window.__lab.statsDump()). */
  async statsDump(): Promise<StatsDump> {
    const entries = (report: RTCStatsReport | null) => (report ? [...report.values()].map((entry) => ({ ...entry }) as Record<string, unknown>) : null);
    const [send, recv] = await Promise.all([statsOf(this.#sendTransport), statsOf(this.#recvTransport)]);
    return { takenAt: Date.now(), send: entries(send), recv: entries(recv) };
  }

  /** Figures of what this page sends (see window.__lab.sendStats()). */
  async sendStats(): Promise<LocalSendStats> {
    const [camera, mic, screen] = await Promise.all([
      statsOf(this.#producers.get('camera')),
      statsOf(this.#producers.get('mic')),
      statsOf(this.#producers.get('screen')),
    ]);
    return {
      screen: screen ? videoSendStats(screen) : null,
      video: camera ? videoSendStats(camera) : null,
      audio: mic ? audioSendStats(mic) : null,
    };
  }

  /** Leaves the room politely (the server records "left"), then releases everything. */
  async leave(): Promise<void> {
    if (this.#ended) return;
    let failure: unknown;
    if (this.#signaling.connected) {
      try {
        await this.#signaling.request('leave', {});
      } catch (error) {
        // Leaving goes on regardless: the socket close below also makes the server drop us.
        failure = error;
      }
    }
    this.#end('left');
    if (failure) throw failure;
  }

  /**
   * Drops the connection without a leave request, as a closing tab does (the server records
   * "disconnected"). Used on page unload so the next page load rejoins cleanly.
   */
  disconnect(): void {
    this.#end('lost');
  }

  #end(reason: 'left' | 'lost', error?: Error): void {
    if (this.#ended) return;
    this.#teardown(reason === 'left' ? 1000 : 1001);
    this.emit('ended', { reason, error });
  }

  #teardown(closeCode = 1000): void {
    this.#ended = true;
    this.#statsReporter.stop();
    for (const producer of this.#producers.values()) producer.close();
    this.#producers.clear();
    for (const { consumer } of this.#consumers.values()) consumer.close();
    this.#consumers.clear();
    this.#sendTransport?.close();
    this.#recvTransport?.close();
    this.#signaling.close(closeCode, closeCode === 1000 ? 'left' : 'going away');
  }

  /** Asks the server for the transport (unless already `requested`) while the device may still be loading: neither needs the other. */
  async #createTransport(
    direction: 'send' | 'recv',
    deviceLoaded: Promise<void>,
    requested = this.#signaling.request('createTransport', { direction }),
  ): Promise<Transport> {
    const [params] = await Promise.all([requested, deviceLoaded]);
    const options = {
      id: params.transportId,
      iceParameters: params.iceParameters,
      // The schema checks the candidate fields; mediasoup-client's type narrows `type` to a union.
      iceCandidates: params.iceCandidates as Parameters<Device['createSendTransport']>[0]['iceCandidates'],
      dtlsParameters: params.dtlsParameters as Parameters<Device['createSendTransport']>[0]['dtlsParameters'],
    };
    const transport =
      direction === 'send' ? this.#device.createSendTransport(options) : this.#device.createRecvTransport(options);

    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.#signaling
        .request('connectTransport', { transportId: transport.id, dtlsParameters })
        .then(() => callback(), errback);
    });
    if (direction === 'send') {
      transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
        const source = appData.source as MediaSource;
        this.#signaling
          .request('produce', {
            transportId: transport.id,
            kind,
            source,
            rtpParameters: rtpParameters as unknown as Record<string, unknown>,
            paused: appData.paused === true,
          })
          .then(({ producerId }) => callback({ id: producerId }), errback);
      });
    }
    transport.on('connectionstatechange', (state) => {
      if (state === 'failed' || state === 'disconnected') void this.#restartIce(transport, direction);
    });
    return transport;
  }

  /**
   * Restarts ICE on a transport that failed (or stayed disconnected), again and again with backoff
   * until it connects, the transport is replaced or the call ends; the call goes on meanwhile.
   */
  async #restartIce(transport: Transport, direction: 'send' | 'recv'): Promise<void> {
    if (this.#iceRecovering.has(transport)) return;
    this.#iceRecovering.add(transport);
    const gone = () => this.#ended || transport.closed;
    try {
      // 'disconnected' often heals by itself (a short network hiccup); 'failed' never does.
      if (transport.connectionState === 'disconnected') await sleep(ICE_DISCONNECTED_GRACE_MS);
      await withBackoff(
        async () => {
          if (gone() || transport.connectionState === 'connected') return;
          const { iceParameters } = await this.#signaling.request('restartIce', { transportId: transport.id });
          await transport.restartIce({ iceParameters });
          await connectedWithin(transport, ICE_RESTART_WAIT_MS);
        },
        { initialMs: 1_000, maxMs: 16_000, giveUpAfterMs: RECONNECT_GIVE_UP_MS, stop: gone },
      );
    } catch (error) {
      if (!gone()) this.emit('error', new Error(`The ${direction} media connection failed and could not be restored: ${messageOf(error)}`));
    } finally {
      this.#iceRecovering.delete(transport);
    }
  }

  /** The others as the server lists them now: tiles for those, none for anyone else; their producers. */
  #applyPeers(peers: readonly PeerInfo[]): void {
    const listed = new Set(peers.map((peer) => peer.peerId));
    for (const peerId of [...this.#remotePeerIds]) if (!listed.has(peerId)) this.#removePeer(peerId, 'gone');
    this.#remoteProducers.clear();
    for (const peer of peers) {
      this.#upsertPeer(peer);
      for (const producer of peer.producers) this.#remoteProducers.set(producer.producerId, { peerId: peer.peerId, producer });
    }
  }

  /** Closes every transport, producer and consumer of this page (not the local tracks). */
  #closeMedia(): void {
    for (const producer of this.#producers.values()) producer.close();
    this.#producers.clear();
    for (const consumerId of [...this.#consumers.keys()]) this.#closeConsumer(consumerId);
    this.#consumedProducerIds.clear();
    this.#sendTransport?.close();
    this.#recvTransport?.close();
    this.#sendTransport = undefined;
    this.#recvTransport = undefined;
    this.#recvReady = new Promise((resolve) => (this.#resolveRecvReady = resolve));
  }

  /**
   * Sets the page's media up again from scratch: new transports, everyone's known producers
   * consumed, the local tracks produced with the mute state the server last confirmed. While the SFU
   * cannot serve yet (`unavailable`), each step is retried with backoff; a newer reset supersedes it.
   */
  async #rebuildMedia(reason: string): Promise<void> {
    const epoch = ++this.#mediaEpoch;
    this.emit('mediaReset', reason);
    this.#closeMedia();
    const superseded = () => this.#ended || epoch !== this.#mediaEpoch;
    const retry = <T>(step: () => Promise<T>) =>
      withBackoff(step, {
        initialMs: 250,
        maxMs: 4_000,
        giveUpAfterMs: RECONNECT_GIVE_UP_MS,
        stop: superseded,
        retryable: (error) => error instanceof SignalingError && TRANSIENT_ERRORS.has(error.code),
      });
    try {
      const recv = await retry(() => this.#createTransport('recv', Promise.resolve()));
      if (superseded()) return void recv.close();
      this.#recvTransport = recv;
      this.#resolveRecvReady(recv);
      await Promise.all([...this.#remoteProducers.values()].map(({ peerId, producer }) => this.#consumeInBackground(peerId, producer)));
      if (superseded()) return;
      const send = await retry(() => this.#createTransport('send', Promise.resolve()));
      if (superseded()) return void send.close();
      this.#sendTransport = send;
      await this.#serialLocal(() => this.#produceLocalTracks(this.#localMuted));
    } catch (error) {
      if (!superseded()) this.emit('error', new Error(`Could not restore the call's media: ${messageOf(error)}`));
    }
  }

  /**
   * The socket was lost while in the call: reconnect with backoff, then resume the session (media
   * untouched) or, when the server no longer holds it, join again and set the media up anew. The
   * tiles stay meanwhile; after trying for RECONNECT_GIVE_UP_MS the call ends as lost.
   */
  async #reconnect(code: number, reason: string): Promise<void> {
    if (this.#reconnecting || this.#ended) return;
    this.#reconnecting = true;
    this.#statsReporter.stop();
    this.emit('connection', 'reconnecting');
    try {
      const rejoined = await withBackoff(() => this.#reestablish(), {
        initialMs: 250,
        // A restarting signaling server is back within seconds; a page must not sleep through it.
        maxMs: 2_000,
        giveUpAfterMs: RECONNECT_GIVE_UP_MS,
        stop: () => this.#ended,
        onRetry: (error, attempt, delayMs) => console.warn(`[call] reconnect attempt ${attempt} failed (${messageOf(error)}); next in ${delayMs} ms`),
      });
      this.#reconnecting = false;
      if (this.#ended) return;
      this.#statsReporter.start();
      this.emit('connection', 'connected');
      if (rejoined) void this.#rebuildMedia('rejoined the room');
    } catch (error) {
      this.#reconnecting = false;
      this.#end('lost', new Error(`Lost the connection to the server (code ${code}${reason ? `: ${reason}` : ''}) and could not get back: ${messageOf(error)}`));
    }
  }

  /** One attempt: a new socket, then resume or join. Resolves true when it had to join again. */
  async #reestablish(): Promise<boolean> {
    const client = new SignalingClient({ url: this.#options.signalingUrl, createSocket: this.#options.createSocket });
    try {
      await client.connect();
      if (this.#ended) throw new Error('the call ended');
      if (this.#resumeToken) {
        try {
          const resumed = await client.request('resume', { resumeToken: this.#resumeToken });
          this.#adopt(client);
          this.emit('activeSpeaker', resumed.activeSpeakerPeerId ?? null);
          this.#applyPeers(resumed.peers);
          // Producers that appeared while the socket was away (their pushes follow, but a consume
          // already running is not repeated).
          for (const { peerId, producer } of this.#remoteProducers.values()) void this.#consumeInBackground(peerId, producer);
          return false;
        } catch (error) {
          if (!(error instanceof SignalingError && error.code === 'not_found')) throw error;
        }
      }
      const joined = await client.request('join', { roomId: this.#roomId!, displayName: this.#displayName });
      this.#adopt(client);
      this.#peerId = joined.peerId;
      this.#resumeToken = joined.resumeToken;
      this.emit('entered', { peerId: joined.peerId, roomId: joined.roomId });
      this.emit('activeSpeaker', joined.activeSpeakerPeerId ?? null);
      this.#applyPeers(joined.peers);
      return true;
    } catch (error) {
      client.close(1000, 'reconnect attempt failed');
      throw error;
    }
  }

  /** From now on `client` is the page's connection (unless the call ended meanwhile: then it closes). */
  #adopt(client: SignalingClient): void {
    if (this.#ended) throw new Error('the call ended while reconnecting');
    this.#signaling = client;
    this.#listenToPushes(client);
  }

  /** Runs `step` after every earlier producer change has settled (see #localChain). */
  #serialLocal<T>(step: () => Promise<T>): Promise<T> {
    const result = this.#localChain.then(step, step);
    this.#localChain = result.catch(() => {});
    return result;
  }

  /** Produces every local track there is (a screen share too, after a media reset), in the given mute state. */
  async #produceLocalTracks(state = { audioMuted: this.#options.audioMuted, videoMuted: this.#options.videoMuted }): Promise<void> {
    const transport = this.#sendTransport!;
    const sources: { source: MediaSource; muted: boolean }[] = [
      { source: 'mic', muted: state.audioMuted },
      { source: 'camera', muted: state.videoMuted },
      { source: 'screen', muted: false },
    ];
    for (const { source, muted } of sources) {
      const track = this.#options.localMedia.track(source);
      // A track that arrived while the transport was being set up may have been produced already.
      if (!track || this.#producers.has(source)) continue;
      await this.#produceSource(transport, source, track, muted);
    }
  }

  async #produceSource(transport: Transport, source: MediaSource, track: MediaStreamTrack, muted: boolean): Promise<void> {
    // mediasoup-client takes a disabled track for a paused producer; the server is told `muted`.
    track.enabled = true;
    const producer = await transport.produce({
      track,
      // The local preview keeps using the track; LocalMedia stops it when it is replaced or the call ends.
      stopTracks: false,
      appData: { source, paused: muted },
    });
    this.#producers.set(source, producer);
    if (source === 'screen') return;
    if (muted) {
      producer.pause();
      // Make the server's (and so everyone's) view match the join form's choice.
      await this.#signaling.request('setMuted', { source, muted: true }).then((state) => this.emit('localMuted', state));
    } else if (this.#localMuted[source === 'mic' ? 'audioMuted' : 'videoMuted']) {
      // A device that came mid-call (allowed after a refusal): the server announces it to the others,
      // not to us.
      this.emit('localMuted', { ...this.#localMuted, [source === 'mic' ? 'audioMuted' : 'videoMuted']: false });
    }
  }

  /** Stops sending a source whose track is gone; the others drop it (producerClosed). */
  async #closeLocalProducer(source: MediaSource, producer: Producer): Promise<void> {
    this.#producers.delete(source);
    producer.close();
    await this.#signaling.request('closeProducer', { producerId: producer.id });
    // No producer means muted / camera off for everyone (the server's audioMuted / videoMuted).
    if (source !== 'screen') this.emit('localMuted', { ...this.#localMuted, [source === 'mic' ? 'audioMuted' : 'videoMuted']: true });
  }

  #upsertPeer(peer: PeerInfo): void {
    if (this.#departedPeerIds.has(peer.peerId) || peer.peerId === this.#peerId) return;
    this.#remotePeerIds.add(peer.peerId);
    this.emit('peer', {
      peerId: peer.peerId,
      displayName: peer.displayName,
      audioMuted: peer.audioMuted,
      videoMuted: peer.videoMuted,
    });
  }

  /** Consumes without throwing (a failure is reported as an 'error' event); settles when done. */
  #consumeInBackground(peerId: string, producer: ProducerInfo): Promise<void> {
    const epoch = this.#mediaEpoch;
    return this.#consume(peerId, producer, epoch).catch((error: unknown) => {
      if (epoch === this.#mediaEpoch) this.#consumedProducerIds.delete(producer.producerId);
      // A consume that failed because the call ended, its peer left, its producer closed or the
      // media was reset meanwhile lost nothing anyone would see: not worth a banner. Nor is a
      // producer the server no longer has (not_found): its producerClosed is on its way.
      if (this.#unwanted(peerId, producer.producerId, epoch)) return;
      if (error instanceof SignalingError && error.code === 'not_found') {
        console.warn('[call] a producer was gone before it could be received', error);
        return;
      }
      this.emit('error', new Error(`Cannot receive ${producer.source} from a participant: ${messageOf(error)}`));
    });
  }

  /**
   * What a consume is setting up is no longer wanted: the call ended, its peer left, its producer
   * closed, or the media it was set up for (`epoch`) was reset since.
   */
  #unwanted(peerId: string, producerId: string, epoch = this.#mediaEpoch): boolean {
    return this.#ended || epoch !== this.#mediaEpoch || this.#departedPeerIds.has(peerId) || this.#closedProducerIds.has(producerId);
  }

  async #consume(peerId: string, producer: ProducerInfo, epoch: number): Promise<void> {
    if (this.#consumedProducerIds.has(producer.producerId) || this.#unwanted(peerId, producer.producerId, epoch)) return;
    this.#consumedProducerIds.add(producer.producerId);
    const transport = await this.#recvReady;
    const params = await this.#signaling.request('consume', {
      transportId: transport.id,
      producerId: producer.producerId,
      rtpCapabilities: this.#device.rtpCapabilities as unknown as Record<string, unknown>,
    });
    if (this.#unwanted(params.peerId, params.producerId, epoch)) return;
    const consumer = await transport.consume({
      id: params.consumerId,
      producerId: params.producerId,
      kind: params.kind,
      rtpParameters: params.rtpParameters as unknown as RtpParameters,
      appData: { peerId: params.peerId, source: params.source },
    });
    // transport.consume() can wait for the transport's DTLS connect round trip: the peer may have
    // left, its producer closed or the call ended meanwhile, and #removePeer / the producerClosed
    // handler / #teardown could not see this consumer yet.
    if (this.#unwanted(params.peerId, params.producerId, epoch)) {
      consumer.close();
      return;
    }
    this.#consumers.set(consumer.id, { consumer, peerId: params.peerId, source: params.source });
    // The page attaches the track while the server still holds the consumer paused, so the media
    // element is ready when the first frame arrives instead of starting up after it (~90 ms).
    this.emit('trackAdded', {
      peerId: params.peerId,
      consumerId: consumer.id,
      source: params.source,
      kind: params.kind,
      track: consumer.track,
    });
    try {
      // The server creates consumers paused so no media is lost before this side is ready.
      await this.#signaling.request('resumeConsumer', { consumerId: consumer.id });
    } catch (error) {
      this.#closeConsumer(consumer.id);
      throw error;
    }
  }

  #closeConsumer(consumerId: string): void {
    const entry = this.#consumers.get(consumerId);
    if (!entry) return;
    this.#consumers.delete(consumerId);
    this.#consumedProducerIds.delete(entry.consumer.producerId);
    entry.consumer.close();
    this.emit('trackRemoved', { peerId: entry.peerId, consumerId, source: entry.source });
  }

  #listenToPushes(s: SignalingClient): void {
    s.on('peerJoined', ({ peer }) => {
      // A peer id is never reused, but the same person may come back (reload) under a new one.
      this.#upsertPeer(peer);
      for (const producer of peer.producers) {
        this.#remoteProducers.set(producer.producerId, { peerId: peer.peerId, producer });
        void this.#consumeInBackground(peer.peerId, producer);
      }
    });
    s.on('peerLeft', ({ peerId, reason }) => this.#removePeer(peerId, reason));
    s.on('newProducer', ({ peerId, producer }) => {
      this.#remoteProducers.set(producer.producerId, { peerId, producer });
      void this.#consumeInBackground(peerId, producer);
    });
    s.on('mediaReset', ({ reason, peers }) => {
      this.#applyPeers(peers);
      void this.#rebuildMedia(reason);
    });
    s.on('producerClosed', ({ producerId }) => {
      this.#remoteProducers.delete(producerId);
      this.#closedProducerIds.add(producerId);
      for (const [consumerId, entry] of this.#consumers) {
        if (entry.consumer.producerId === producerId) this.#closeConsumer(consumerId);
      }
    });
    s.on('consumerClosed', ({ consumerId }) => this.#closeConsumer(consumerId));
    s.on('peerMediaChanged', (data: PushData<'peerMediaChanged'>) => {
      if (data.peerId === this.#peerId) {
        this.emit('localMuted', { audioMuted: data.audioMuted, videoMuted: data.videoMuted });
      } else {
        this.emit('peerMedia', data);
      }
    });
    s.on('protocolError', (error) => this.emit('error', error));
    s.on('close', ({ code, reason }) => {
      // While joining, the failing request rejects join() instead; a replaced client's close is old news.
      if (this.#ended || !this.#joined || s !== this.#signaling) return;
      void this.#reconnect(code, reason);
    });
    s.on('activeSpeaker', ({ peerId }) => this.emit('activeSpeaker', peerId));
    s.on('consumerScore', (score) => this.emit('consumerScore', score));
    // transportState is informational; the page does not display it.
  }

  #removePeer(peerId: string, reason: string): void {
    this.#departedPeerIds.add(peerId);
    this.#remotePeerIds.delete(peerId);
    for (const [producerId, entry] of this.#remoteProducers) if (entry.peerId === peerId) this.#remoteProducers.delete(producerId);
    for (const [consumerId, entry] of this.#consumers) {
      if (entry.peerId === peerId) this.#closeConsumer(consumerId);
    }
    this.emit('peerRemoved', peerId, reason);
  }
}

/** "Sending the new camera", "Sharing the screen" …: what updateLocalTrack was doing, for its error. */
function describeSourceChange(source: MediaSource, track: MediaStreamTrack | null): string {
  const what = source === 'mic' ? 'microphone' : source;
  if (source === 'screen') return track ? 'Sharing the screen' : 'Stopping the screen share';
  return track ? `Sending the ${what}` : `Stopping the ${what}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Resolves once the transport's connection is 'connected'; rejects after `ms`. */
function connectedWithin(transport: Transport, ms: number): Promise<void> {
  if (transport.connectionState === 'connected') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onChange = (state: string) => {
      if (state !== 'connected') return;
      clearTimeout(timer);
      transport.off('connectionstatechange', onChange);
      resolve();
    };
    const timer = setTimeout(() => {
      transport.off('connectionstatechange', onChange);
      reject(new Error(`ICE did not reconnect within ${ms / 1000} s`));
    }, ms);
    transport.on('connectionstatechange', onChange);
  });
}
