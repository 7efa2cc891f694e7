/**
 * The first RTCPeerConnection of a page pays for initialising the browser's WebRTC stack: its first
 * createOffer took 16-35 ms in Chromium 156 here, later ones 4-6 ms. mediasoup-client's Device.load()
 * makes such a probe on the join path, so the page makes one while the join form is shown instead.
 */
export async function warmUpWebRtc(): Promise<void> {
  const pc = new RTCPeerConnection();
  try {
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addTransceiver('video', { direction: 'recvonly' });
    await pc.createOffer();
  } finally {
    pc.close();
  }
}
