/**
 * Which SFU node hosts a room. Signaling resolves the node once, at join, and keeps talking to it for
 * the whole session, so a later directory (several SFU nodes, assignments kept in Redis next to the
 * room state, load-based placement) only has to implement these two methods.
 */
import type { SfuApi, SfuGateway } from './SfuGateway.ts';

export interface SfuDirectory {
  /** The node that hosts (or will host) `roomId`. Async because a shared directory has to look it up. */
  gatewayForRoom(roomId: string): Promise<SfuApi>;
  /** Every node this instance talks to (event feeds, health, shutdown). */
  gateways(): readonly SfuGateway[];
}

/** One SFU node from config (SIGNALING_SFU_ADDRESS) hosts every room. */
export class SingleNodeSfuDirectory implements SfuDirectory {
  readonly #gateway: SfuGateway;

  constructor(gateway: SfuGateway) {
    this.#gateway = gateway;
  }

  async gatewayForRoom(): Promise<SfuApi> {
    return this.#gateway;
  }

  gateways(): readonly SfuGateway[] {
    return [this.#gateway];
  }
}
