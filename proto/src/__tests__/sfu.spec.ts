import { describe, expect, it } from 'vitest';
import { loadSfuProto } from '../sfu.ts';

describe('SFU control API', () => {
  it('loads lab.sfu.v1.Sfu with every RPC the signaling service relies on', () => {
    const rpcs = Object.keys(loadSfuProto().Sfu.service);
    expect(rpcs).toEqual(
      expect.arrayContaining([
        'GetRouterRtpCapabilities', 'CreateWebRtcTransport', 'ConnectWebRtcTransport', 'RestartIce',
        'CloseTransport', 'Produce', 'CloseProducer', 'PauseProducer', 'ResumeProducer', 'Consume',
        'ResumeConsumer', 'ClosePeer', 'GetRoom', 'GetStatus', 'WatchEvents',
      ]),
    );
    expect(loadSfuProto().Sfu.service.WatchEvents.responseStream).toBe(true);
  });
});
