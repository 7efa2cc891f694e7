/** The per-socket and per-peer limits a PeerSession enforces (from config; docs/signaling-protocol.md, "Limits"). */
import type { Config } from '../config.ts';

export type SessionLimits = Pick<
  Config,
  | 'maxJsonDepth'
  | 'maxJsonArrayLength'
  | 'requestsPerSecond'
  | 'requestBurst'
  | 'rateLimitCloseAfter'
  | 'maxTransportsPerPeer'
  | 'maxProducersPerPeer'
  | 'maxConsumersPerPeer'
>;
