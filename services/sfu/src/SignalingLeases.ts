/**
 * Which signaling instance holds each peer, and whether that instance is still there. A signaling
 * instance proves it is alive by keeping a WatchEvents stream open under its name; when its last
 * stream has been gone for the grace period (a crash, or a network partition that outlasts it), the
 * peers it registered are closed, so a dead instance leaves no transports, producers or consumers
 * behind. The grace covers what is normal: a stream that drops and resubscribes (backoff ≤ 5 s), an
 * SFU that restarts, a signaling instance that is restarted under the same name.
 */
import type { Logger } from 'pino';

export type LeaseOptions = {
  /** How long an instance may have no stream open before its peers are closed. */
  graceMs: number;
  /** Closes one peer (the room registry's leave); unknown peers are a no-op. */
  closePeer(roomId: string, peerId: string, reason: string): void;
  log: Logger;
  /** Counted when an instance's lease expires with the number of peers it still held. */
  onExpired?(instance: string, peers: number): void;
};

type InstanceLease = {
  streams: number;
  /** Peers registered through this instance, as `roomId\npeerId`. */
  peers: Set<string>;
  expiry?: NodeJS.Timeout;
};

/** The reason ClosePeer-by-lease records (logs, events). */
export const LEASE_EXPIRED_REASON = 'signaling instance lost';

const key = (roomId: string, peerId: string) => `${roomId}\n${peerId}`;

export class SignalingLeases {
  readonly #options: LeaseOptions;
  readonly #instances = new Map<string, InstanceLease>();
  /** Peer → the instance holding it. */
  readonly #owners = new Map<string, string>();

  constructor(options: LeaseOptions) {
    this.#options = options;
  }

  /**
   * An event stream of `instance` opened; returns what to call when it ends. Empty names hold no
   * lease (tools, tests, older callers).
   */
  streamOpened(instance: string): () => void {
    if (!instance) return () => {};
    const lease = this.#lease(instance);
    lease.streams += 1;
    if (lease.expiry) {
      clearTimeout(lease.expiry);
      lease.expiry = undefined;
      this.#options.log.info({ instance }, 'signaling instance is back within its lease grace');
    }
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      lease.streams -= 1;
      this.#armIfIdle(instance, lease);
    };
  }

  /** `instance` registered the peer (GetRouterRtpCapabilities); a later registration moves it. */
  peerRegistered(roomId: string, peerId: string, instance: string): void {
    if (!instance) return;
    const peer = key(roomId, peerId);
    const previous = this.#owners.get(peer);
    if (previous === instance) return;
    if (previous !== undefined) this.#instances.get(previous)?.peers.delete(peer);
    this.#owners.set(peer, instance);
    const lease = this.#lease(instance);
    lease.peers.add(peer);
    // An instance that registers peers without ever subscribing must not keep them for good.
    this.#armIfIdle(instance, lease);
  }

  /** The peer left (ClosePeer, or its room closed): it no longer needs a lease. */
  peerGone(roomId: string, peerId: string): void {
    const peer = key(roomId, peerId);
    const instance = this.#owners.get(peer);
    if (instance === undefined) return;
    this.#owners.delete(peer);
    const lease = this.#instances.get(instance);
    lease?.peers.delete(peer);
    if (lease && lease.peers.size === 0 && lease.streams === 0) this.#forget(instance, lease);
  }

  /** Peers held through `instance` (introspection and tests). */
  peersOf(instance: string): number {
    return this.#instances.get(instance)?.peers.size ?? 0;
  }

  /** Stops every timer (shutdown). */
  close(): void {
    for (const lease of this.#instances.values()) clearTimeout(lease.expiry);
    this.#instances.clear();
    this.#owners.clear();
  }

  #lease(instance: string): InstanceLease {
    let lease = this.#instances.get(instance);
    if (!lease) {
      lease = { streams: 0, peers: new Set() };
      this.#instances.set(instance, lease);
    }
    return lease;
  }

  #armIfIdle(instance: string, lease: InstanceLease): void {
    if (lease.streams > 0 || lease.expiry) return;
    if (lease.peers.size === 0) {
      this.#forget(instance, lease);
      return;
    }
    lease.expiry = setTimeout(() => this.#expire(instance, lease), this.#options.graceMs);
    lease.expiry.unref();
  }

  #expire(instance: string, lease: InstanceLease): void {
    lease.expiry = undefined;
    const peers = [...lease.peers];
    this.#options.log.warn(
      { instance, peers: peers.length, graceMs: this.#options.graceMs },
      'signaling instance has had no event stream for its lease grace; closing its peers',
    );
    this.#forget(instance, lease);
    for (const peer of peers) {
      this.#owners.delete(peer);
      const [roomId, peerId] = peer.split('\n') as [string, string];
      this.#options.closePeer(roomId, peerId, LEASE_EXPIRED_REASON);
    }
    this.#options.onExpired?.(instance, peers.length);
  }

  #forget(instance: string, lease: InstanceLease): void {
    clearTimeout(lease.expiry);
    if (this.#instances.get(instance) === lease) this.#instances.delete(instance);
  }
}
