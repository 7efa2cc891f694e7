/** Reading getStats() of mediasoup-client objects (Consumer, Producer, Transport) that may be closing. */

/** What can be asked for its stats. */
export interface StatsProvider {
  readonly closed: boolean;
  getStats(): Promise<RTCStatsReport>;
}

/**
 * The object's stats, or null when it is closed or closes while asked (its peer left, the call
 * ended): it simply has no figures any more. Any other failure is thrown.
 */
export async function statsOf(provider: StatsProvider | undefined): Promise<RTCStatsReport | null> {
  if (!provider || provider.closed) return null;
  try {
    return await provider.getStats();
  } catch (error) {
    if (provider.closed) return null;
    throw error;
  }
}
