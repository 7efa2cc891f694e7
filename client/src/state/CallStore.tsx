/**
 * The page's single store: what the call looks like right now (state, participants, their tracks,
 * the local mic / camera) plus the actions the UI may take. Components read it through useCall();
 * only the actions here talk to the CallSession.
 */
import { createContext, onCleanup, onMount, useContext, type JSX, type ParentProps } from 'solid-js';
import { createStore, produce } from 'solid-js/store';
import { DisplayName, RoomId, describeZodError, type MediaSource, type MutableSource } from '@lab/proto/signaling';
import type { CallState, ConnectionState, LabTimings, LocalSendStats, PeerReceiveStats, StatsDump } from '@lab/proto/lab-surface';
import { CallSession, type PeerLineReading } from '../media/CallSession.ts';
import { warmUpWebRtc } from '../media/warmUpWebRtc.ts';
import { participantList } from './participants.ts';
export { participantList };
import { LocalMedia } from '../media/LocalMedia.ts';
import { createDevices, type DevicesValue } from './devices.ts';
import { SignalingClient, signalingUrlFor } from '../signaling/SignalingClient.ts';
import { forgetCall, initialCall, rememberCall, roomLink, roomSearch, tabStorage } from './callUrl.ts';
import { installTestSurface } from './testSurface.ts';
import { UserFacingError, toUserMessage } from '../errors/userMessage.ts';
import { ANNOUNCEMENTS_KEPT, enteredText, joinedText, leftText, mediaChangeTexts, updateEverOn, type EverOn, type MediaState } from '../a11y/announcements.ts';


export interface Participant {
  peerId: string;
  displayName: string;
  audioMuted: boolean;
  videoMuted: boolean;
  /** Order of appearance, so tiles do not reshuffle. */
  order: number;
}

interface ReceivedTrack {
  consumerId: string;
  track: MediaStreamTrack;
}

export interface CallStoreState {
  state: CallState;
  /** 'reconnecting' while the joined page gets back to the server (the tiles stay meanwhile). */
  connection: ConnectionState;
  /** Times the page set its media up again (server said the SFU lost it, or a rejoin). */
  mediaResets: number;
  /** The join form's fields (also the joined room and name). */
  roomInput: string;
  nameInput: string;
  peerId: string | null;
  roomId: string | null;
  /** The error shown to the person, in words (what happened, what to do). */
  error: string | null;
  /** Its technical description (codes, messages), for the console and the banner's data-detail. */
  errorDetail: string | null;
  /** The polite live region's recent announcements, oldest first (ids increase). */
  announcements: { id: number; text: string }[];
  local: { audioMuted: boolean; videoMuted: boolean; stream: MediaStream | null };
  participants: Record<string, Participant>;
  tracks: Record<string, Partial<Record<MediaSource, ReceivedTrack>>>;
  /** Who speaks now (the server's active speaker; may be this page's own peer); null: nobody. */
  activeSpeakerPeerId: string | null;
  /** mediasoup's latest scores of what this page receives, by consumer id (consumerScore pushes). */
  consumerScores: Record<string, { score: number; producerScore: number }>;
  /** The browser refused to play remote audio without a click (autoplay policy). */
  audioBlocked: boolean;
  timings: LabTimings;
}

export interface CallActions {
  setRoomInput(value: string): void;
  setNameInput(value: string): void;
  /** Starts the camera preview on the join form (no-op when it is running). */
  startPreview(): Promise<void>;
  join(): Promise<void>;
  leave(): Promise<void>;
  toggleMic(): Promise<void>;
  toggleCamera(): Promise<void>;
  dismissError(): void;
  /** Says `text` in the polite live region (screen readers read it without moving focus). */
  announce(text: string): void;
  /** Copies the room's link (room only, no name) to the clipboard; false (and the banner says so) when it could not. */
  copyLink(): Promise<boolean>;
  /** Shows an error that happened in a component (e.g. media playback). */
  reportError(error: unknown): void;
  /** Called by a participant's <video> on its first presented frame. */
  remoteFramePresented(at: number): void;
  audioPlaybackBlocked(): void;
  audioPlaybackAllowed(): void;
  receiveStats(): Promise<PeerReceiveStats[]>;
  sendStats(): Promise<LocalSendStats>;
  statsDump(): Promise<StatsDump>;
  /** What the page receives from one person now (connection indicator and details). */
  peerLine(peerId: string): Promise<PeerLineReading | null>;
}

export interface CallContextValue extends DevicesValue {
  store: CallStoreState;
  actions: CallActions;
}

const CallContext = createContext<CallContextValue>();

let participantOrder = 0;

let announcementId = 0;

function createCall(): CallContextValue {
  const storage = tabStorage();
  const initial = initialCall(location.search, storage);
  // The address bar shows the room only (an old link's name= is dropped, never used).
  if (location.search !== roomSearch(initial.room)) history.replaceState(null, '', `${location.pathname}${roomSearch(initial.room)}`);
  const [store, setStore] = createStore<CallStoreState>({
    state: 'idle',
    connection: 'connected',
    mediaResets: 0,
    roomInput: initial.room,
    nameInput: initial.name,
    peerId: null,
    roomId: null,
    error: null,
    errorDetail: null,
    announcements: [],
    local: { audioMuted: false, videoMuted: false, stream: null },
    participants: {},
    tracks: {},
    activeSpeakerPeerId: null,
    consumerScores: {},
    audioBlocked: false,
    timings: { joinStartedAt: null, joinedAt: null, firstRemoteFrameAt: null },
  });
  const localMedia = new LocalMedia();
  let session: CallSession | null = null;

  // The signaling socket is opened while the join form is shown, so a join does not wait for the
  // WebSocket handshake (~15 ms of the join → first frame time). An idle socket costs the server
  // little, and one that closed meanwhile is simply replaced at join time.
  let warmSignaling: SignalingClient | undefined;
  const warmUpSignaling = () => {
    const client = new SignalingClient({ url: signalingUrlFor(location) });
    client.connect().catch(() => {
      if (warmSignaling === client) warmSignaling = undefined;
    });
    warmSignaling = client;
  };
  const takeWarmSignaling = (): SignalingClient | undefined => {
    const client = warmSignaling?.usable ? warmSignaling : undefined;
    warmSignaling = undefined;
    return client;
  };

  const showError = (error: unknown) => {
    const { text, detail } = toUserMessage(error);
    // The technical detail and stack go to the console, for whoever debugs the page.
    console.error('[call]', detail, error);
    setStore({ error: text, errorDetail: detail });
  };

  const announce = (text: string) => {
    setStore('announcements', (list) => [...list.slice(-(ANNOUNCEMENTS_KEPT - 1)), { id: ++announcementId, text }]);
  };
  // Joins and leaves are news once the page is in the call; the peers found on entering are said
  // together when it is joined, and a reconnection's re-announced peers are not news at all.
  const announcing = () => store.state === 'joined' && store.connection === 'connected';
  /** Per peer, whether its mic / camera was ever on (their first "on" while joining is not news). */
  const everOn = new Map<string, EverOn>();
  const announceMediaChange = (peerId: string, name: string, before: MediaState, after: MediaState) => {
    if (announcing()) mediaChangeTexts(name, before, after, everOn.get(peerId)).forEach(announce);
    everOn.set(peerId, updateEverOn(everOn.get(peerId), after));
  };

  const { devices, deviceActions } = createDevices(localMedia, { onError: showError });
  // Whatever happens to a local track (another device chosen, one unplugged, one allowed after a
  // refusal, a screen share) reaches the call's producers.
  localMedia.on('track', ({ source, track }) => {
    setStore('local', 'stream', localMedia.stream);
    void session?.updateLocalTrack(source, track);
  });
  // Unplugged with no other device: that source is off (in a call the server says so to everyone).
  localMedia.on('status', (source, status) => {
    if (status.state === 'disconnected') setStore('local', muteKey(source), true);
  });

  /**
   * Asks for the mic and the camera, each on its own: one refused or missing shows as muted / camera
   * off with its sentence (devices.mic / devices.camera) while the other works.
   */
  const acquireLocalMedia = async (): Promise<void> => {
    localMedia.setEnabled('mic', !store.local.audioMuted);
    localMedia.setEnabled('camera', !store.local.videoMuted);
    await localMedia.acquire();
    setStore('local', {
      audioMuted: store.local.audioMuted || !localMedia.track('mic'),
      videoMuted: store.local.videoMuted || !localMedia.track('camera'),
      stream: localMedia.stream,
    });
  };

  /** Asks for a device again; outside a call a granted device starts unmuted (in a call the session says so). */
  const retryDevice = async (source: MutableSource): Promise<boolean> => {
    const granted = await localMedia.request(source);
    if (granted && !session) {
      setStore('local', muteKey(source), false);
      localMedia.setEnabled(source, true);
    }
    return granted;
  };

  // CallSession's events are event handlers: they read the store's current value once, on purpose,
  // which the Solid lint rule (written for JSX handlers and tracked scopes) cannot tell apart.
  /* eslint-disable solid/reactivity */
  const wireSession = (s: CallSession) => {
    // The call view shows from here on, so remote tracks get their <video> while the rest of the
    // join (send transport, producers) goes on: a video element needs ~50-100 ms to start showing.
    s.on('entered', ({ peerId, roomId }) => setStore({ peerId, roomId }));
    s.on('peer', (peer) => {
      const existing = store.participants[peer.peerId];
      if (!existing && announcing()) announce(joinedText(peer.displayName));
      announceMediaChange(peer.peerId, peer.displayName, existing ?? peer, peer);
      setStore('participants', peer.peerId, (existing) => ({
        ...peer,
        order: existing?.order ?? participantOrder++,
      }));
    });
    s.on('peerMedia', ({ peerId, audioMuted, videoMuted }) => {
      const existing = store.participants[peerId];
      if (!existing) return;
      announceMediaChange(peerId, existing.displayName, existing, { audioMuted, videoMuted });
      setStore('participants', peerId, { audioMuted, videoMuted });
    });
    s.on('peerRemoved', (peerId) => {
      const leaving = store.participants[peerId];
      if (leaving && announcing()) announce(leftText(leaving.displayName));
      everOn.delete(peerId);
      setStore(
        produce((draft) => {
          delete draft.participants[peerId];
          delete draft.tracks[peerId];
        }),
      );
    });
    s.on('trackAdded', ({ peerId, consumerId, source, track }) => {
      setStore('tracks', peerId, (tracks) => ({ ...tracks, [source]: { consumerId, track } }));
    });
    s.on('trackRemoved', ({ peerId, consumerId, source }) => {
      setStore(
        produce((draft) => {
          const tracks = draft.tracks[peerId];
          // Only if it is still the same consumer: a replacement may already be in place.
          if (tracks?.[source]?.consumerId === consumerId) tracks[source] = undefined;
        }),
      );
    });
    s.on('localMuted', ({ audioMuted, videoMuted }) => {
      setStore('local', { audioMuted, videoMuted });
    });
    s.on('connection', (connection) => setStore('connection', connection));
    s.on('mediaReset', () => setStore('mediaResets', (count) => count + 1));
    s.on('activeSpeaker', (peerId) => setStore('activeSpeakerPeerId', peerId));
    s.on('consumerScore', ({ consumerId, score, producerScore }) => setStore('consumerScores', consumerId, { score, producerScore }));
    s.on('error', showError);
    s.on('ended', ({ reason, error }) => {
      if (session !== s) return;
      session = null;
      // Ready for the next join from the form; not while the page is going away (pagehide ends the
      // session as 'lost') or after an error the form will show.
      if (reason === 'left') warmUpSignaling();
      localMedia.stop();
      everOn.clear();
      setStore(
        produce((draft) => {
          draft.state = reason === 'left' ? 'left' : 'error';
          draft.connection = 'connected';
          draft.local.stream = null;
          draft.participants = {};
          draft.tracks = {};
          draft.activeSpeakerPeerId = null;
          draft.consumerScores = {};
          draft.audioBlocked = false;
        }),
      );
      if (error) showError(error);
    });
  };
  /* eslint-enable solid/reactivity */

  const setMuted = async (source: MutableSource, muted: boolean) => {
    const key = muteKey(source);
    // Unmuting a device the page does not have (refused, missing, unplugged) asks for it again.
    if (!muted && !localMedia.track(source) && store.local[key]) {
      await retryDevice(source);
      return;
    }
    const previous = store.local[key];
    // Optimistic: the button reacts at once; the server's answer (localMuted) then confirms it.
    setStore('local', key, muted);
    if (!session || store.state !== 'joined') {
      localMedia.setEnabled(source, !muted);
      return;
    }
    try {
      await session.setMuted(source, muted);
    } catch (error) {
      setStore('local', key, previous);
      showError(error);
    }
  };

  const actions: CallActions = {
    setRoomInput: (value) => setStore('roomInput', value),
    setNameInput: (value) => setStore('nameInput', value),

    async startPreview() {
      if (store.local.stream) return;
      await acquireLocalMedia();
    },

    async join() {
      if (store.state === 'joining' || store.state === 'joined') return;
      const joinStartedAt = performance.now();
      const room = RoomId.safeParse(store.roomInput.trim());
      if (!room.success) {
        // The protocol's rule (RoomId), said for people.
        setStore({ error: 'Invalid room name: use 1 to 64 characters of A-Z, a-z, 0-9, "-" or "_".', errorDetail: describeZodError(room.error) });
        return;
      }
      const name = DisplayName.safeParse(store.nameInput);
      if (!name.success) {
        setStore({ error: 'Invalid name: type your name, 1 to 64 characters.', errorDetail: describeZodError(name.error) });
        return;
      }
      setStore({
        state: 'joining',
        error: null,
        errorDetail: null,
        peerId: null,
        roomId: null,
        participants: {},
        tracks: {},
        timings: { joinStartedAt, joinedAt: null, firstRemoteFrameAt: null },
      });

      // Without devices the call still works receive-only; each missing one says why (devices.*).
      await acquireLocalMedia();

      let s: CallSession;
      try {
        s = new CallSession({
          signalingUrl: signalingUrlFor(location),
          signaling: takeWarmSignaling(),
          localMedia,
          audioMuted: store.local.audioMuted,
          videoMuted: store.local.videoMuted,
        });
      } catch (error) {
        // mediasoup-client finds no usable WebRTC here (it refuses a non-secure page too).
        setStore('state', 'error');
        showError(
          localMedia.supported
            ? new UserFacingError('This browser cannot take part in calls. Try a recent Chrome, Edge, Firefox or Safari.', { cause: error })
            : new UserFacingError('This page can join calls only over a secure connection: open it with https:// (or, on this computer, at http://localhost).', { cause: error }),
        );
        return;
      }
      session = s;
      wireSession(s);
      try {
        const joined = await s.join(room.data, name.data);
        if (session !== s) return;
        setStore({
          state: 'joined',
          peerId: joined.peerId,
          roomId: joined.roomId,
          timings: { ...store.timings, joinedAt: performance.now() },
        });
        // The address bar and any link copied from it carry the room; this tab remembers the name.
        history.replaceState(null, '', `${location.pathname}${roomSearch(joined.roomId)}`);
        rememberCall(storage, { room: joined.roomId, name: name.data });
        announce(enteredText(joined.roomId, participantList(store).map((p) => p.displayName)));
      } catch (error) {
        // A session that already ended (left or page hidden mid-join) has set the state itself.
        if (session !== s) return;
        session = null;
        setStore('state', 'error');
        showError(error);
      }
    },

    async leave() {
      const s = session;
      if (!s) return;
      // Forget the name so a reload shows the form instead of rejoining; the room stays prefilled.
      forgetCall(storage);
      try {
        await s.leave();
      } catch (error) {
        showError(error);
      }
    },

    toggleMic: () => setMuted('mic', !store.local.audioMuted),
    toggleCamera: () => setMuted('camera', !store.local.videoMuted),
    dismissError: () => setStore({ error: null, errorDetail: null }),
    announce,

    async copyLink() {
      const link = roomLink(location, store.roomId ?? store.roomInput.trim());
      try {
        await navigator.clipboard.writeText(link);
        announce('Link copied. Whoever opens it can join this room with their own name.');
        return true;
      } catch (error) {
        showError(new UserFacingError('Could not copy the link. Copy it from the address bar instead.', { cause: error }));
        return false;
      }
    },
    reportError: showError,

    remoteFramePresented(at) {
      if (store.timings.firstRemoteFrameAt === null && (store.state === 'joining' || store.state === 'joined')) {
        setStore('timings', 'firstRemoteFrameAt', at);
      }
    },
    audioPlaybackBlocked: () => setStore('audioBlocked', true),
    audioPlaybackAllowed: () => setStore('audioBlocked', false),
    receiveStats: () => session?.receiveStats() ?? Promise.resolve([]),
    sendStats: () => session?.sendStats() ?? Promise.resolve({ video: null, audio: null }),
    statsDump: () => session?.statsDump() ?? Promise.resolve({ takenAt: Date.now(), send: null, recv: null }),
    peerLine: (peerId) => session?.peerLine(peerId) ?? Promise.resolve(null),
  };

  onMount(() => {
    // A tab that closes or reloads drops its socket at once (the server records "disconnected"),
    // so the reloaded page's new peer never coexists with a ghost for long.
    const onPageHide = () => session?.disconnect();
    window.addEventListener('pagehide', onPageHide);
    onCleanup(() => window.removeEventListener('pagehide', onPageHide));
    if (initial.rejoin) void actions.join();
    else {
      warmUpSignaling();
      // Only an optimisation: a browser that cannot do this fails the join with a clear error anyway.
      warmUpWebRtc().catch((error: unknown) => console.warn('[call] WebRTC warm-up failed', error));
    }
  });

  return { store, actions, devices, deviceActions: { ...deviceActions, retry: retryDevice } };
}

function muteKey(source: MutableSource): 'audioMuted' | 'videoMuted' {
  return source === 'mic' ? 'audioMuted' : 'videoMuted';
}

export function CallProvider(props: ParentProps): JSX.Element {
  const call = createCall();
  installTestSurface(call);
  return <CallContext.Provider value={call}>{props.children}</CallContext.Provider>;
}

/** The call store and actions; only inside <CallProvider>. */
export function useCall(): CallContextValue {
  const call = useContext(CallContext);
  if (!call) throw new Error('useCall() must be used inside <CallProvider>');
  return call;
}
