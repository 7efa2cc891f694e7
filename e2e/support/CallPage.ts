/**
 * One participant's call page, driven the way a person would (form, buttons) and observed through
 * what it shows (data-testid) and its read-only `window.__lab` surface.
 */
import { expect, type Locator, type Page } from '@playwright/test';
import type { LabParticipant, LabTimings, LocalSendStats, PeerReceiveStats } from '@lab/proto/lab-surface';

/** Joining includes getUserMedia, two transports and two produces; generous for a busy 2-core box. */
const JOIN_TIMEOUT_MS = 30_000;

export class CallPage {
  /** The page's console and errors, attached to the report when a test fails. */
  readonly consoleLines: string[] = [];

  constructor(
    readonly page: Page,
    readonly name: string,
    readonly baseUrl: string,
  ) {
    page.on('console', (message) => this.consoleLines.push(`[${message.type()}] ${message.text()}`));
    page.on('pageerror', (error) => this.consoleLines.push(`[pageerror] ${error.stack ?? error.message}`));
  }

  get callState(): Locator {
    return this.page.getByTestId('call-state');
  }
  get errorBanner(): Locator {
    return this.page.getByTestId('error-banner');
  }
  get micButton(): Locator {
    return this.page.getByTestId('mic-button');
  }
  get cameraButton(): Locator {
    return this.page.getByTestId('camera-button');
  }
  get leaveButton(): Locator {
    return this.page.getByTestId('leave-button');
  }
  get localVideo(): Locator {
    return this.page.getByTestId('local-video');
  }
  get tiles(): Locator {
    return this.page.getByTestId('participant-tile');
  }

  /** The sentence (and "Try again") about this page's own microphone or camera. */
  deviceNotice(source: 'mic' | 'camera'): Locator {
    return this.page.locator(`[data-testid="device-notice"][data-source="${source}"]`);
  }
  get screenShareButton(): Locator {
    return this.page.getByTestId('screen-share-button');
  }
  get screenTiles(): Locator {
    return this.page.getByTestId('screen-tile');
  }

  /** The tile showing another participant's screen share (by display name). */
  screenTileOf(other: CallPage | string): Locator {
    const name = typeof other === 'string' ? other : other.name;
    return this.page.locator(`[data-testid="screen-tile"][data-display-name="${name}"]`);
  }

  /**
   * Ends one of this page's own tracks as the browser does on its own (a camera unplugged, the
   * browser's "Stop sharing" button): the track stops and fires 'ended', which track.stop() alone
   * does not. The track is the one the page shows in `videoTestId`'s element.
   */
  async endLocalTrack(videoTestId: 'local-video' | 'local-screen-video'): Promise<void> {
    await this.page.getByTestId(videoTestId).evaluate((video: HTMLVideoElement) => {
      const track = (video.srcObject as MediaStream | null)?.getVideoTracks()[0];
      if (!track) throw new Error('no track shown');
      track.stop();
      track.dispatchEvent(new Event('ended'));
    });
  }

  /** The tile showing another participant (by display name). */
  tileOf(other: CallPage | string): Locator {
    const name = typeof other === 'string' ? other : other.name;
    return this.page.locator(`[data-testid="participant-tile"][data-display-name="${name}"]`);
  }

  async openForm(query = ''): Promise<void> {
    await this.page.goto(`${this.baseUrl}/${query}`);
    await expect(this.page.getByTestId('join-button')).toBeVisible();
  }

  /** Types the room and name into the form and clicks Join. */
  async submitJoinForm(room: string): Promise<void> {
    await this.page.getByTestId('room-input').fill(room);
    await this.page.getByTestId('name-input').fill(this.name);
    await this.page.getByTestId('join-button').click();
  }

  async joinViaForm(room: string): Promise<void> {
    await this.openForm();
    await this.submitJoinForm(room);
    await this.expectJoined();
  }

  get roomInput(): Locator {
    return this.page.getByTestId('room-input');
  }
  get nameInput(): Locator {
    return this.page.getByTestId('name-input');
  }
  get announcer(): Locator {
    return this.page.getByTestId('announcer');
  }

  /**
   * Opens a shared link (`?room=<room>`, as the copy-link button gives it, or `link` itself): the
   * form shows with the room filled in and the name empty, and this participant types their name
   * and joins.
   */
  async joinViaLink(roomOrLink: string): Promise<void> {
    const link = /^https?:/.test(roomOrLink) ? roomOrLink : `${this.baseUrl}/?${new URLSearchParams({ room: roomOrLink })}`;
    const room = new URL(link).searchParams.get('room');
    await this.page.goto(link);
    await expect(this.page.getByTestId('join-button')).toBeVisible();
    await expect(this.roomInput, 'a shared link fills in the room').toHaveValue(room ?? '');
    await expect(this.nameInput, 'a shared link never carries a name').toHaveValue('');
    await this.nameInput.fill(this.name);
    await this.page.getByTestId('join-button').click();
    await this.expectJoined();
  }

  async expectJoined(): Promise<void> {
    await expect(this.callState, `${this.name} should be in the call`).toHaveAttribute('data-state', 'joined', {
      timeout: JOIN_TIMEOUT_MS,
    });
  }

  async peerId(): Promise<string> {
    const peerId = await this.page.evaluate(() => window.__lab?.peerId ?? null);
    if (!peerId) throw new Error(`${this.name} has no peer id (not joined?)`);
    return peerId;
  }

  participants(): Promise<LabParticipant[]> {
    return this.page.evaluate(() => window.__lab?.participants() ?? []);
  }

  stats(): Promise<PeerReceiveStats[]> {
    return this.page.evaluate(() => window.__lab?.stats() ?? Promise.resolve([]));
  }

  async statsFrom(peerId: string): Promise<PeerReceiveStats | undefined> {
    return (await this.stats()).find((entry) => entry.peerId === peerId);
  }

  /** What this page sends (its own producers' stats). */
  sendStats(): Promise<LocalSendStats> {
    return this.page.evaluate(() => window.__lab?.sendStats() ?? Promise.resolve({ video: null, audio: null }));
  }

  timings(): Promise<LabTimings> {
    return this.page.evaluate(() => window.__lab!.timings);
  }

  /** Join click → first presented remote frame, or null when none yet. */
  async timeToFirstFrameMs(): Promise<number | null> {
    const { joinStartedAt, firstRemoteFrameAt } = await this.timings();
    return joinStartedAt !== null && firstRemoteFrameAt !== null ? Math.round(firstRemoteFrameAt - joinStartedAt) : null;
  }
}
