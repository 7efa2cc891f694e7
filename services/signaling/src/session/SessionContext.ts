/**
 * What the parts of one PeerSession share (session/: the request queue, membership, media, SFU
 * events; telemetry/BrowserStats): the service's dependencies, the socket and the session's logger.
 */
import type { Push, ResponseEnvelope } from '@lab/proto/signaling';
import type { Logger } from 'pino';
import type { PendingSessionEnds } from '../db/PendingSessionEnds.ts';
import type { SessionRepository } from '../db/SessionRepository.ts';
import type { AddressLimits } from '../limits/AddressLimits.ts';
import type { SessionLimits } from '../limits/SessionLimits.ts';
import type { LocalPeerRegistry } from '../LocalPeerRegistry.ts';
import type { SignalingMetrics } from '../metrics.ts';
import type { SfuDirectory } from '../sfu/SfuDirectory.ts';
import type { RoomBus } from '../state/RoomBus.ts';
import type { RoomStateStore } from '../state/RoomStateStore.ts';
import type { ResumableSessions } from './ResumableSessions.ts';

/** The session's view of its socket; the HTTP layer implements it over uWebSockets.js. */
export interface SocketSink {
  /** Sends one JSON message; silently does nothing once the socket is closed. */
  send(message: ResponseEnvelope | Push): void;
  /** Closes the socket with 1008 (policy violation): the client kept going far past the request rate. */
  closeForPolicyViolation(reason: string): void;
}

export interface PeerSessionDeps {
  instanceId: string;
  maxPeersPerRoom: number;
  sfuDirectory: SfuDirectory;
  sessions: Pick<SessionRepository, 'ensureRoom' | 'sessionStarted'>;
  /** Where session ends go: written at once, or retried until the database takes them. */
  sessionEnds: Pick<PendingSessionEnds, 'record'>;
  state: RoomStateStore;
  bus: RoomBus;
  localPeers: LocalPeerRegistry;
  metrics: SignalingMetrics;
  /** Sessions whose socket was lost, waiting for their page to resume them. */
  resumable: ResumableSessions;
  limits: SessionLimits;
  /** Room creations per client address, shared by the instance's sessions. */
  addressLimits: Pick<AddressLimits, 'tryCreateRoom' | 'roomCreationsPerMinute'>;
}

export interface SessionContext {
  readonly deps: PeerSessionDeps;
  /** The client's IP address as the socket saw it ('' when unknown). */
  readonly remoteAddress: string;
  /** Closes the socket with 1008 (see SocketSink). */
  closeForPolicyViolation(reason: string): void;
  /** The session's logger; once joined it carries roomId and peerId. */
  log: Logger;
  /** False once the socket closed (by the client, a reload, the idle timeout or shutdown). */
  isOpen(): boolean;
  /** To this session's socket, unless it has closed. */
  send(message: ResponseEnvelope | Push): void;
  /** Queues work to run right after the current request's response is sent (announcements to the room). */
  afterResponse(work: () => Promise<void>): void;
}
