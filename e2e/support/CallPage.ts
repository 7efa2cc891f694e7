/**
 * One participant's call page, driven the way a person would (form, buttons) and observed through
 * what it shows (data-testid) and its read-only `window.__lab` surface.
 */
import { expect, type Locator, type Page } from '@playwright/test';
import type { LabParticipant, LabTimings, PeerReceiveStats } from '@lab/proto/lab-surface';

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

  /** Opens ?room=&name=, which joins without a click (as a reload or a shared link does). */
  async joinViaUrl(room: string): Promise<void> {
    await this.page.goto(`${this.baseUrl}/?${new URLSearchParams({ room, name: this.name })}`);
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

  timings(): Promise<LabTimings> {
    return this.page.evaluate(() => window.__lab!.timings);
  }

  /** Join click → first presented remote frame, or null when none yet. */
  async timeToFirstFrameMs(): Promise<number | null> {
    const { joinStartedAt, firstRemoteFrameAt } = await this.timings();
    return joinStartedAt !== null && firstRemoteFrameAt !== null ? Math.round(firstRemoteFrameAt - joinStartedAt) : null;
  }
}
