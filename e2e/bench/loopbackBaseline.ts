/**
 * The baseline: the same browser, no server at all — two RTCPeerConnections in one page connected
 * directly over loopback, fake camera, from createOffer to the first presented remote frame. It is
 * what WebRTC itself costs on this machine, so lab/baseline says what the lab adds on top.
 */
import type { Page } from '@playwright/test';

/** Runs in the page. getUserMedia happens before the clock starts, as the lab's preview does. */
async function oneLoopbackCall(): Promise<number> {
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 30 } },
  });
  const sender = new RTCPeerConnection();
  const receiver = new RTCPeerConnection();
  sender.onicecandidate = (event) => void (event.candidate && receiver.addIceCandidate(event.candidate));
  receiver.onicecandidate = (event) => void (event.candidate && sender.addIceCandidate(event.candidate));
  const video = document.createElement('video');
  video.muted = true;
  video.autoplay = true;
  video.playsInline = true;
  document.body.append(video);
  const firstFrame = new Promise<number>((resolve) => {
    receiver.ontrack = (event) => {
      video.srcObject = new MediaStream([event.track]);
      video.requestVideoFrameCallback((now) => resolve(now));
    };
  });
  try {
    for (const track of stream.getTracks()) sender.addTrack(track, stream);
    const startedAt = performance.now();
    const offer = await sender.createOffer();
    await sender.setLocalDescription(offer);
    await receiver.setRemoteDescription(offer);
    const answer = await receiver.createAnswer();
    await receiver.setLocalDescription(answer);
    await sender.setRemoteDescription(answer);
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no frame within 20 s')), 20_000));
    return (await Promise.race([firstFrame, timeout])) - startedAt;
  } finally {
    sender.close();
    receiver.close();
    for (const track of stream.getTracks()) track.stop();
    video.remove();
  }
}

/**
 * Opens a blank page on `origin` (getUserMedia needs a secure context such as http://localhost)
 * and measures `count` loopback calls, one after another.
 */
export async function measureLoopbackBaseline(page: Page, origin: string, count: number): Promise<number[]> {
  const url = `${origin}/__bench_baseline.html`;
  // Served by Playwright itself: the baseline must not touch the lab.
  await page.route(url, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>baseline</title>' }));
  await page.goto(url);
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    samples.push(Math.round(await page.evaluate(oneLoopbackCall)));
  }
  return samples;
}
