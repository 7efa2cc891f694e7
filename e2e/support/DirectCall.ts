/**
 * The baseline a call through the SFU is judged against: the same two browsers calling each other
 * directly (one RTCPeerConnection each, fake camera and microphone, VP8 + Opus as the SFU's rooms
 * use), so both legs of the comparison share the machine, the network path and its impairment.
 *
 * Each page is a blank document on the origin it is given (served by Playwright's router, not by
 * the lab), which must be a secure context for getUserMedia: http://localhost, or an origin the
 * browser was told to treat as secure. Offer and answer travel through this process.
 */
import type { Page } from '@playwright/test';
import type { VideoReceiveStats, VideoSendStats } from '@lab/proto/lab-surface';
import { videoReceiveStats, videoSendStats } from '@lab/proto/rtc-stats';

const BLANK_PATH = '/__direct-call';
const CONNECT_TIMEOUT_MS = 20_000;

interface InPageCall {
  pc: RTCPeerConnection;
  stream: MediaStream;
}

declare global {
  interface Window {
    __directCall?: InPageCall;
  }
}

export class DirectCall {
  private constructor(
    readonly offerer: Page,
    readonly answerer: Page,
  ) {}

  /**
   * Opens the blank page on each origin, starts fake camera + mic in both, and connects them.
   * Settles once both sides have the connection up and the first remote video frame decoded.
   */
  static async connect(offerer: { page: Page; origin: string }, answerer: { page: Page; origin: string }): Promise<DirectCall> {
    await Promise.all([openBlank(offerer.page, offerer.origin), openBlank(answerer.page, answerer.origin)]);
    await Promise.all([offerer.page.evaluate(startInPage), answerer.page.evaluate(startInPage)]);
    const offer = await offerer.page.evaluate(describeLocalInPage, null);
    const answer = await answerer.page.evaluate(describeLocalInPage, offer);
    await offerer.page.evaluate((sdp) => window.__directCall!.pc.setRemoteDescription(sdp), answer);
    const call = new DirectCall(offerer.page, answerer.page);
    const deadline = Date.now() + CONNECT_TIMEOUT_MS;
    for (const page of [offerer.page, answerer.page]) {
      for (;;) {
        const state = await page.evaluate(() => window.__directCall!.pc.connectionState);
        if (state === 'failed') throw new Error('direct call: the connection failed');
        if (state === 'connected' && ((await call.videoReceived(page))?.framesDecoded ?? 0) > 0) break;
        if (Date.now() > deadline) throw new Error(`direct call: no video decoded within ${CONNECT_TIMEOUT_MS / 1000} s (connection ${state})`);
        await page.waitForTimeout(200);
      }
    }
    return call;
  }

  /** What `page` (one of the two) decodes of the other's video. */
  async videoReceived(page: Page): Promise<VideoReceiveStats | null> {
    return videoReceiveStats(await statsOf(page));
  }

  /** What `page` (one of the two) sends of its own video. */
  async videoSent(page: Page): Promise<VideoSendStats | null> {
    return videoSendStats(await statsOf(page));
  }

  async close(): Promise<void> {
    await Promise.all(
      [this.offerer, this.answerer].map((page) =>
        page
          .evaluate(() => {
            const call = window.__directCall;
            call?.pc.close();
            call?.stream.getTracks().forEach((track) => track.stop());
            delete window.__directCall;
          })
          .catch(() => {}),
      ),
    );
  }
}

async function openBlank(page: Page, origin: string): Promise<void> {
  const url = `${origin}${BLANK_PATH}`;
  await page.route(url, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>direct call</title>' }));
  await page.goto(url);
}

/** Plain stats dictionaries (an RTCStatsReport does not cross page.evaluate). */
function statsOf(page: Page): Promise<Record<string, unknown>[]> {
  return page.evaluate(async () => [...(await window.__directCall!.pc.getStats()).values()] as Record<string, unknown>[]);
}

// --- in-page code (runs in the browser through page.evaluate: self-contained) -------------------

async function startInPage(): Promise<void> {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  window.__directCall = { pc: new RTCPeerConnection(), stream };
}

/**
 * Describes this side: the offer (sending both tracks), or, given the far side's offer, the answer
 * (sending both tracks on the transceivers the offer created). VP8 is preferred, as the SFU's rooms
 * negotiate it. Non-trickle: it waits for every ICE candidate, so one description carries them all.
 */
async function describeLocalInPage(remoteOffer: RTCSessionDescriptionInit | null): Promise<RTCSessionDescriptionInit> {
  const { pc, stream } = window.__directCall!;
  if (remoteOffer) await pc.setRemoteDescription(remoteOffer);
  for (const track of stream.getTracks()) {
    const offered = pc.getTransceivers().find((t) => t.receiver.track.kind === track.kind && !t.sender.track);
    const transceiver = offered ?? pc.addTransceiver(track.kind, { streams: [stream] });
    await transceiver.sender.replaceTrack(track);
    transceiver.sender.setStreams(stream);
    transceiver.direction = 'sendrecv';
    if (track.kind === 'video') {
      const codecs = RTCRtpReceiver.getCapabilities('video')?.codecs ?? [];
      transceiver.setCodecPreferences([...codecs.filter((c) => c.mimeType === 'video/VP8'), ...codecs.filter((c) => c.mimeType !== 'video/VP8')]);
    }
  }
  await pc.setLocalDescription();
  if (pc.iceGatheringState !== 'complete') {
    await new Promise<void>((resolve) => pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve()));
  }
  return pc.localDescription!.toJSON() as RTCSessionDescriptionInit;
}
