/**
 * SFU events about a joined peer (routed to its session by LocalPeerRegistry): the push its socket
 * gets, and what the session then forgets. ActiveSpeakerChanged is room-wide and reaches every joined
 * session of the room. Producer scores, consumer pause/resume and room closure
 * have no push in protocol v1.
 */
import type { SfuEvent__Output } from '@lab/proto/sfu';
import type { Push } from '@lab/proto/signaling';
import type { PeerMedia } from './PeerMedia.ts';

export async function applySfuEvent(event: SfuEvent__Output, media: PeerMedia, send: (push: Push) => void): Promise<void> {
  switch (event.event) {
    case 'consumerClosed': {
      const { consumerId, reason } = event.consumerClosed!;
      media.consumerClosed(consumerId);
      send({ event: 'consumerClosed', data: { consumerId, reason } });
      return;
    }
    case 'consumerScore': {
      const { consumerId, score, producerScore } = event.consumerScore!;
      send({ event: 'consumerScore', data: { consumerId, score, producerScore } });
      return;
    }
    case 'transportStateChanged': {
      const { transportId, iceState, dtlsState } = event.transportStateChanged!;
      if (iceState === 'closed' || dtlsState === 'closed') media.transportClosed(transportId);
      send({ event: 'transportState', data: { transportId, iceState, dtlsState } });
      return;
    }
    case 'activeSpeakerChanged':
      // Room-wide: the event's peer is the speaker (empty: nobody), not this session's peer.
      send({ event: 'activeSpeaker', data: { peerId: event.peerId || null } });
      return;
    case 'producerClosed':
      // The producer died on the SFU (e.g. its transport failed): the room hears of it as for closeProducer.
      await media.producerClosed(event.producerClosed!.producerId);
      return;
    default:
      return;
  }
}
