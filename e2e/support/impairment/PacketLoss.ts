/**
 * Real packet loss on one participant's link: nftables rules on the namespace's end of its veth
 * (../impairment/NetworkNamespace.ts), hooked at `egress` for what the participant sends (uplink)
 * and at `ingress` for what it receives (downlink). Packets are dropped on the wire, so the
 * sender's socket sees nothing (an iptables DROP on OUTPUT would return an error to the sending
 * socket, and Chromium would simply send again). Every rule counts what it matched and dropped, so
 * a test can state the loss it really injected.
 *
 * Only UDP is touched: media, RTCP, STUN and DTLS. The signaling WebSocket (TCP) would retransmit
 * anyway; it is left alone so a test measures the media path and not the page's control channel.
 */
import type { NetworkNamespace } from './NetworkNamespace.ts';

export type Direction = 'uplink' | 'downlink';

export type LossModel =
  /** Each packet independently, with this probability (numgen random). */
  | { kind: 'random'; percent: number }
  /** `length` consecutive packets out of every `every` (numgen inc): bursts at a fixed rhythm. */
  | { kind: 'burst'; length: number; every: number }
  /** The first `count` packets that match after the rule is set, then none. */
  | { kind: 'first'; count: number }
  /** Every matching packet. */
  | { kind: 'all' };

export interface DropRule {
  loss: LossModel;
  /** Only RTP packets of this SSRC (the 32 bits 8 bytes into the RTP header, sent in clear by SRTP). */
  ssrc?: number;
}

export interface DirectionCounters {
  /** UDP packets that crossed the device in this direction while the rules were set. */
  seen: number;
  /** Dropped by each rule, in the order given to set(). */
  droppedByRule: number[];
  dropped: number;
  /** dropped / seen, in percent (0 when nothing was seen). */
  lossPercent: number;
}

const TABLE = 'lab_impairment';
const HOOKS: Record<Direction, 'egress' | 'ingress'> = { uplink: 'egress', downlink: 'ingress' };
/** numgen's modulus for "the first N packets": large enough never to wrap within a test. */
const FIRST_MODULUS = 1_000_000_000;

/**
 * The nft expression that selects the packets a rule drops (after `meta l4proto udp`). The RTP
 * header starts after the 8-byte UDP header; its SSRC is at byte 8, i.e. transport-header bits
 * 128..159.
 */
export function dropExpression(rule: DropRule): string {
  const parts: string[] = [];
  if (rule.ssrc !== undefined) {
    if (!Number.isInteger(rule.ssrc) || rule.ssrc < 0 || rule.ssrc > 0xffffffff) throw new Error(`ssrc ${rule.ssrc} is not a 32-bit value`);
    parts.push(`@th,128,32 ${rule.ssrc}`);
  }
  const { loss } = rule;
  switch (loss.kind) {
    case 'random':
      if (!(loss.percent >= 0 && loss.percent <= 100)) throw new Error(`loss percent ${loss.percent} is not within 0..100`);
      // Basis points: 5 % → numgen random mod 10000 lt 500.
      parts.push(`numgen random mod 10000 lt ${Math.round(loss.percent * 100)}`);
      break;
    case 'burst':
      if (!(Number.isInteger(loss.length) && Number.isInteger(loss.every) && loss.length >= 1 && loss.every > loss.length)) {
        throw new Error(`burst of ${loss.length} in ${loss.every}: need integers with 1 <= length < every`);
      }
      parts.push(`numgen inc mod ${loss.every} lt ${loss.length}`);
      break;
    case 'first':
      if (!(Number.isInteger(loss.count) && loss.count >= 1)) throw new Error(`first ${loss.count} packets: need an integer >= 1`);
      parts.push(`numgen inc mod ${FIRST_MODULUS} lt ${loss.count}`);
      break;
    case 'all':
      break;
  }
  return parts.join(' ');
}

/** A human description of a rule, for verdicts and reports. */
export function describeRule(rule: DropRule): string {
  const { loss } = rule;
  const what =
    loss.kind === 'random'
      ? `${loss.percent}% random loss`
      : loss.kind === 'burst'
        ? `bursts of ${loss.length} lost in every ${loss.every} packets`
        : loss.kind === 'first'
          ? `the next ${loss.count} packet(s) lost`
          : 'every packet lost';
  return rule.ssrc === undefined ? what : `${what} (SSRC ${rule.ssrc})`;
}

export class PacketLoss {
  #rules: Record<Direction, DropRule[]> = { uplink: [], downlink: [] };

  private constructor(readonly namespace: NetworkNamespace) {}

  /** Installs the (empty) table on the namespace's device: nothing is dropped until set(). */
  static async on(namespace: NetworkNamespace): Promise<PacketLoss> {
    const loss = new PacketLoss(namespace);
    await loss.#apply();
    return loss;
  }

  /** Replaces the rules of one direction (and resets its counters). An empty list drops nothing. */
  async set(direction: Direction, rules: DropRule[]): Promise<void> {
    for (const rule of rules) dropExpression(rule); // validate before touching anything
    this.#rules = { ...this.#rules, [direction]: rules };
    await this.#apply();
  }

  /** Stops dropping, in one direction or both (counters reset). */
  async clear(direction?: Direction): Promise<void> {
    this.#rules = direction ? { ...this.#rules, [direction]: [] } : { uplink: [], downlink: [] };
    await this.#apply();
  }

  async counters(direction: Direction): Promise<DirectionCounters> {
    const out = await this.namespace.exec('nft', ['-j', 'list', 'table', 'netdev', TABLE]);
    const packets = new Map<string, number>();
    for (const item of (JSON.parse(out) as { nftables: { counter?: { name: string; packets: number } }[] }).nftables) {
      if (item.counter) packets.set(item.counter.name, item.counter.packets);
    }
    const seen = packets.get(`${direction}_seen`) ?? 0;
    const droppedByRule = this.#rules[direction].map((_, i) => packets.get(`${direction}_drop${i}`) ?? 0);
    const dropped = droppedByRule.reduce((sum, n) => sum + n, 0);
    return { seen, droppedByRule, dropped, lossPercent: seen === 0 ? 0 : (dropped / seen) * 100 };
  }

  /**
   * Rewrites the whole table in one nft transaction: the old table (if any) goes, the new one with
   * fresh counters takes its place atomically.
   */
  async #apply(): Promise<void> {
    const device = this.namespace.device;
    const lines = [`table netdev ${TABLE}`, `delete table netdev ${TABLE}`, `table netdev ${TABLE} {`];
    for (const direction of ['uplink', 'downlink'] as const) {
      const rules = this.#rules[direction];
      lines.push(`  counter ${direction}_seen {}`);
      rules.forEach((_, i) => lines.push(`  counter ${direction}_drop${i} {}`));
      lines.push(`  chain ${direction} {`);
      lines.push(`    type filter hook ${HOOKS[direction]} device "${device}" priority 0; policy accept;`);
      lines.push(`    meta l4proto udp counter name "${direction}_seen"`);
      rules.forEach((rule, i) => lines.push(`    meta l4proto udp ${dropExpression(rule)} counter name "${direction}_drop${i}" drop`));
      lines.push('  }');
    }
    lines.push('}');
    await this.namespace.exec('nft', ['-f', '-'], `${lines.join('\n')}\n`);
  }
}
