/**
 * The call page's read-only test surface, `window.__lab`: the contract between the page (client/,
 * which installs it) and whatever observes a call from outside (the e2e suite, benchmarks, load
 * bots). It reports what the page shows and receives and offers no way to change it. Described for
 * people in client/README.md.
 */

export type CallState = 'idle' | 'joining' | 'joined' | 'left' | 'error';
export type ConnectionState = 'connected' | 'reconnecting';

export interface LabParticipant {
  peerId: string;
  displayName: string;
  audioMuted: boolean;
  videoMuted: boolean;
}

/**
 * From the standard `inbound-rtp` stats of the receiver (https://www.w3.org/TR/webrtc-stats/); all
 * counters are cumulative since the stream started. Read by ./rtcStats.ts.
 */
export interface VideoReceiveStats {
  /**
   * When the browser measured these figures: the stats entry's timestamp, milliseconds since the
   * epoch. Rates over a window divide by the difference of two of them, not by the caller's clock.
   */
  timestamp: number;
  /** Complete frames received (before decoding). */
  framesReceived: number;
  framesDecoded: number;
  /** Decoded frames per second over the browser's last measurement interval. */
  framesPerSecond: number;
  /**
   * Freezes the receiver saw: a rendered frame came more than max(3 × the average frame duration,
   * average + 150 ms) after the previous one (the stats spec's definition).
   */
  freezeCount: number;
  /** Seconds spent in those freezes. */
  totalFreezesDuration: number;
  packetsLost: number;
  /** Seconds (the stats API already converts from RTP timestamp units). */
  jitter: number;
}

export interface AudioReceiveStats {
  /**
   * When the browser measured these figures: the stats entry's timestamp, milliseconds since the
   * epoch. Rates over a window divide by the difference of two of them, not by the caller's clock.
   */
  timestamp: number;
  packetsReceived: number;
  packetsLost: number;
  /** Seconds. */
  jitter: number;
  /** Samples played out, real and concealed (the decoder makes some up when packets are missing). */
  totalSamplesReceived: number;
  /** Of those, made up by the decoder's concealment: played out without a packet to decode. */
  concealedSamples: number;
}

/** From the standard `outbound-rtp` stats of one of this page's own video senders (camera, screen). */
export interface VideoSendStats {
  /**
   * When the browser measured these figures: the stats entry's timestamp, milliseconds since the
   * epoch. Rates over a window divide by the difference of two of them, not by the caller's clock.
   */
  timestamp: number;
  framesEncoded: number;
  /** Frames whose packets have all gone out. */
  framesSent: number;
  /** RTP packets sent, retransmissions excluded. */
  packetsSent: number;
  /** Packets sent again (RTX) because the far end asked for them or the sender presumed them lost. */
  retransmittedPacketsSent: number;
  /** NACK messages received (the far end asking for lost packets). */
  nackCount: number;
  /** Key frame requests (PLI) received. */
  pliCount: number;
  /** The RTP stream's SSRC, as it appears in every packet on the wire. */
  ssrc: number;
  /** The SSRC of its retransmission (RTX) stream, when one was negotiated. */
  rtxSsrc: number | null;
  /** The size of the frames sent now (the encoder may scale the camera down); null before the first. */
  frameWidth: number | null;
  frameHeight: number | null;
  /** Frames sent per second over the browser's last interval; null before it knows. */
  framesPerSecond: number | null;
}

/** From the standard `outbound-rtp` stats of this page's own microphone sender. */
export interface AudioSendStats {
  /**
   * When the browser measured these figures: the stats entry's timestamp, milliseconds since the
   * epoch. Rates over a window divide by the difference of two of them, not by the caller's clock.
   */
  timestamp: number;
  packetsSent: number;
  ssrc: number;
}

/** What this page sends (null: that source is not being sent, or nothing has gone out yet). */
export interface LocalSendStats {
  /** The camera. */
  video: VideoSendStats | null;
  audio: AudioSendStats | null;
  /** The screen share (absent from pages that predate screen sharing). */
  screen?: VideoSendStats | null;
}

/** What the page receives from one other participant. */
export interface PeerReceiveStats {
  peerId: string;
  /** Their camera. */
  video: VideoReceiveStats | null;
  audio: AudioReceiveStats | null;
  /** Their screen share (absent from pages that predate screen sharing). */
  screen?: VideoReceiveStats | null;
}

/** performance.now() timestamps of the page's latest join. */
export interface LabTimings {
  /** The join click (or the automatic join on load). */
  joinStartedAt: number | null;
  /** When the join completed: transports open and local tracks sent. */
  joinedAt: number | null;
  /** When the first frame of any participant's video was presented. */
  firstRemoteFrameAt: number | null;
}

export interface LabTestSurface {
  readonly state: CallState;
  /** 'reconnecting' while a joined page has lost its server connection and is getting back. */
  readonly connection: ConnectionState;
  /** How many times this page had to set its media up again (mediaReset, rejoin). */
  readonly mediaResets: number;
  readonly peerId: string | null;
  readonly roomId: string | null;
  /** This page's own mic / camera state. */
  readonly local: { audioMuted: boolean; videoMuted: boolean };
  participants(): LabParticipant[];
  /** Per remote peer, from its consumers' RTCRtpReceiver stats. */
  stats(): Promise<PeerReceiveStats[]>;
  /** What this page sends, from its producers' RTCRtpSender stats. */
  sendStats(): Promise<LocalSendStats>;
  /** Every entry of both transports' getStats() (for a failed call's diagnosis), as plain objects. */
  statsDump(): Promise<StatsDump>;
  readonly timings: LabTimings;
}

/** Both peer connections' whole getStats() reports; null where that transport does not exist. */
export interface StatsDump {
  takenAt: number;
  send: Record<string, unknown>[] | null;
  recv: Record<string, unknown>[] | null;
}

declare global {
  interface Window {
    readonly __lab?: LabTestSurface;
  }
}
