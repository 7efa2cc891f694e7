/**
 * The page's single store: what the call looks like right now (state, participants, their tracks,
 * the local mic / camera) plus the actions the UI may take. Components read it through useCall();
 * only the actions here talk to the CallSession.
 */
import { createContext, onCleanup, onMount, useContext, type JSX, type ParentProps } from 'solid-js';
import { createStore, produce } from 'solid-js/store';
import { DisplayName, RoomId, describeZodError, type MediaSource } from '@lab/proto/signaling';
import type { CallState, LabTimings, PeerReceiveStats } from '@lab/proto/lab-surface';
import { CallSession } from '../media/CallSession.ts';
import { warmUpWebRtc } from '../media/warmUpWebRtc.ts';
export { participantList } from './participants.ts';
import { LocalMedia, describeMediaError } from '../media/LocalMedia.ts';
import { SignalingClient, signalingUrlFor } from '../signaling/SignalingClient.ts';
import { callSearch, readCallParams, readRoomParam } from './callUrl.ts';
import { installTestSurface } from './testSurface.ts';


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
  /** The join form's fields (also the joined room and name). */
  roomInput: string;
  nameInput: string;
  peerId: string | null;
  roomId: string | null;
  error: string | null;
  local: { audioMuted: boolean; videoMuted: boolean; stream: MediaStream | null };
  participants: Record<string, Participant>;
  tracks: Record<string, Partial<Record<MediaSource, ReceivedTrack>>>;
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
  /** Shows an error that happened in a component (e.g. media playback). */
  reportError(error: unknown): void;
  /** Called by a participant's <video> on its first presented frame. */
  remoteFramePresented(at: number): void;
  audioPlaybackBlocked(): void;
  audioPlaybackAllowed(): void;
  receiveStats(): Promise<PeerReceiveStats[]>;
}

export interface CallContextValue {
  store: CallStoreState;
  actions: CallActions;
}

const CallContext = createContext<CallContextValue>();

let participantOrder = 0;

function createCall(): CallContextValue {
  const initialParams = readCallParams(location.search);
  const [store, setStore] = createStore<CallStoreState>({
    state: 'idle',
    roomInput: initialParams?.room ?? readRoomParam(location.search),
    nameInput: initialParams?.name ?? '',
    peerId: null,
    roomId: null,
    error: null,
    local: { audioMuted: false, videoMuted: false, stream: null },
    participants: {},
    tracks: {},
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
    const message = error instanceof Error ? error.message : String(error);
    // Also in the console with its stack, for whoever debugs the page.
    console.error('[call]', error);
    setStore('error', message);
  };

  const acquireLocalMedia = async (): Promise<boolean> => {
    try {
      const stream = await localMedia.acquire();
      localMedia.setEnabled('mic', !store.local.audioMuted);
      localMedia.setEnabled('camera', !store.local.videoMuted);
      setStore('local', 'stream', stream);
      return true;
    } catch (error) {
      showError(new Error(describeMediaError(error)));
      return false;
    }
  };

  const wireSession = (s: CallSession) => {
    // The call view shows from here on, so remote tracks get their <video> while the rest of the
    // join (send transport, producers) goes on: a video element needs ~50-100 ms to start showing.
    s.on('entered', ({ peerId, roomId }) => setStore({ peerId, roomId }));
    s.on('peer', (peer) => {
      setStore('participants', peer.peerId, (existing) => ({
        ...peer,
        order: existing?.order ?? participantOrder++,
      }));
    });
    s.on('peerMedia', ({ peerId, audioMuted, videoMuted }) => {
      if (!store.participants[peerId]) return;
      setStore('participants', peerId, { audioMuted, videoMuted });
    });
    s.on('peerRemoved', (peerId) => {
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
      // Only if it is still the same consumer: a replacement may already be in place.
      if (store.tracks[peerId]?.[source]?.consumerId !== consumerId) return;
      setStore('tracks', peerId, (tracks) => ({ ...tracks, [source]: undefined }));
    });
    s.on('localMuted', ({ audioMuted, videoMuted }) => {
      setStore('local', { audioMuted, videoMuted });
    });
    s.on('error', showError);
    s.on('ended', ({ reason, error }) => {
      if (session !== s) return;
      session = null;
      // Ready for the next join from the form; not while the page is going away (pagehide ends the
      // session as 'lost') or after an error the form will show.
      if (reason === 'left') warmUpSignaling();
      localMedia.stop();
      setStore(
        produce((draft) => {
          draft.state = reason === 'left' ? 'left' : 'error';
          draft.local.stream = null;
          draft.participants = {};
          draft.tracks = {};
          draft.audioBlocked = false;
        }),
      );
      if (error) showError(error);
    });
  };

  const setMuted = async (source: MediaSource, muted: boolean) => {
    const key = source === 'mic' ? 'audioMuted' : 'videoMuted';
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
        setStore('error', `Invalid room name: ${describeZodError(room.error)}`);
        return;
      }
      const name = DisplayName.safeParse(store.nameInput);
      if (!name.success) {
        setStore('error', `Invalid name: ${describeZodError(name.error)}`);
        return;
      }
      setStore({
        state: 'joining',
        error: null,
        peerId: null,
        roomId: null,
        participants: {},
        tracks: {},
        timings: { joinStartedAt, joinedAt: null, firstRemoteFrameAt: null },
      });

      // Without devices the call still works receive-only; the banner says why nobody sees you.
      const haveMedia = await acquireLocalMedia();
      if (!haveMedia) setStore('local', { audioMuted: true, videoMuted: true });

      const s = new CallSession({
        signalingUrl: signalingUrlFor(location),
        signaling: takeWarmSignaling(),
        localMedia,
        audioMuted: store.local.audioMuted,
        videoMuted: store.local.videoMuted,
      });
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
        history.replaceState(null, '', callSearch({ room: joined.roomId, name: name.data }));
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
      // Drop the name so a reload shows the form instead of rejoining; the room stays prefilled.
      history.replaceState(null, '', `?${new URLSearchParams({ room: store.roomId ?? store.roomInput })}`);
      try {
        await s.leave();
      } catch (error) {
        showError(error);
      }
    },

    toggleMic: () => setMuted('mic', !store.local.audioMuted),
    toggleCamera: () => setMuted('camera', !store.local.videoMuted),
    dismissError: () => setStore('error', null),
    reportError: showError,

    remoteFramePresented(at) {
      if (store.timings.firstRemoteFrameAt === null && (store.state === 'joining' || store.state === 'joined')) {
        setStore('timings', 'firstRemoteFrameAt', at);
      }
    },
    audioPlaybackBlocked: () => setStore('audioBlocked', true),
    audioPlaybackAllowed: () => setStore('audioBlocked', false),
    receiveStats: () => session?.receiveStats() ?? Promise.resolve([]),
  };

  onMount(() => {
    // A tab that closes or reloads drops its socket at once (the server records "disconnected"),
    // so the reloaded page's new peer never coexists with a ghost for long.
    const onPageHide = () => session?.disconnect();
    window.addEventListener('pagehide', onPageHide);
    onCleanup(() => window.removeEventListener('pagehide', onPageHide));
    if (initialParams) void actions.join();
    else {
      warmUpSignaling();
      // Only an optimisation: a browser that cannot do this fails the join with a clear error anyway.
      warmUpWebRtc().catch((error: unknown) => console.warn('[call] WebRTC warm-up failed', error));
    }
  });

  return { store, actions };
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
