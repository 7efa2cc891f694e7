/**
 * The gRPC handlers of lab.sfu.v1.Sfu. Each one: refuse a request whose deadline already passed
 * (DEADLINE_EXCEEDED, nothing done), validate it (INVALID_ARGUMENT naming the field), act through
 * the room registry, map any error through errors.ts, count it in metrics — and `return` right after
 * calling back. Resources created while the caller gave up are closed by Peer / RoomRegistry (they
 * get the call's AbortSignal).
 */
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { types as ms } from 'mediasoup';
import type { z } from 'zod';
import type {
  CreateWebRtcTransportResponse,
  GetRoomResponse,
  IceParameters,
  SfuEvent,
  SfuHandlers,
} from '@lab/proto/sfu';
import { InvalidArgumentError, statusName, toGrpcStatus, type GrpcErrorStatus } from './errors.ts';
import type { EventFeed } from './EventFeed.ts';
import type { SfuMetrics } from './metrics.ts';
import { parseRequest, requestSchemas } from './requests.ts';
import type { RoomRegistry } from './RoomRegistry.ts';
import type { SignalingLeases } from './SignalingLeases.ts';
import { startServerSpan } from './tracing.ts';
import type { WorkerPool } from './WorkerPool.ts';

export type SfuServiceDeps = {
  registry: RoomRegistry;
  pool: WorkerPool;
  feed: EventFeed;
  /** Which signaling instance holds which peer; optional for tests that do not exercise it. */
  leases?: SignalingLeases;
  metrics: SfuMetrics;
  nodeId: string;
  log: Logger;
};

/** What a handler gets besides its validated request. */
type CallContext = {
  /** Aborted when the caller cancels or its deadline passes: anything created after that is closed. */
  signal: AbortSignal;
};

const EMPTY_ROOM: GetRoomResponse = {
  exists: false,
  routerId: '',
  workerPid: 0,
  peers: [],
  transportCount: 0,
  producerCount: 0,
  consumerCount: 0,
};

function deadlineMs(deadline: grpc.Deadline): number {
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

/** mediasoup kind → proto enum name. */
function mediaKind(kind: ms.MediaKind): 'MEDIA_KIND_AUDIO' | 'MEDIA_KIND_VIDEO' {
  return kind === 'audio' ? 'MEDIA_KIND_AUDIO' : 'MEDIA_KIND_VIDEO';
}

function iceParameters(parameters: ms.IceParameters): IceParameters {
  return {
    usernameFragment: parameters.usernameFragment,
    password: parameters.password,
    iceLite: parameters.iceLite ?? false,
  };
}

function transportResponse(transport: ms.WebRtcTransport): CreateWebRtcTransportResponse {
  return {
    transportId: transport.id,
    iceParameters: iceParameters(transport.iceParameters),
    iceCandidates: transport.iceCandidates.map((candidate) => ({
      foundation: candidate.foundation,
      priority: candidate.priority,
      address: candidate.address,
      protocol: candidate.protocol,
      port: candidate.port,
      type: candidate.type,
      tcpType: candidate.tcpType ?? '',
    })),
    dtlsParameters: {
      role: transport.dtlsParameters.role ?? 'auto',
      fingerprints: transport.dtlsParameters.fingerprints.map(({ algorithm, value }) => ({ algorithm, value })),
    },
  };
}

/** An Error grpc-js turns into a status (it reads `code` and `details`). */
function statusError({ code, details }: GrpcErrorStatus): grpc.ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
}

export function createSfuHandlers(deps: SfuServiceDeps): SfuHandlers {
  const { registry, pool, feed, leases, metrics, nodeId, log } = deps;

  function logFailure(method: string, status: GrpcErrorStatus, error: unknown): void {
    const fields = { method, code: statusName(status.code), details: status.details };
    if (status.code === grpc.status.INTERNAL) log.error({ ...fields, err: error }, 'request failed (bug or mediasoup error)');
    else if (status.code === grpc.status.UNAVAILABLE) log.warn(fields, 'request failed');
    // A caller past a per-peer cap: signaling's own lower caps should have stopped it first.
    else if (status.code === grpc.status.RESOURCE_EXHAUSTED) log.warn(fields, 'request refused: per-peer limit');
    else log.debug(fields, 'request refused');
  }

  /** Wraps one unary handler with the deadline check, validation, error mapping and metrics. */
  function unary<S extends z.ZodType, Response>(
    method: string,
    schema: S,
    handle: (request: z.output<S>, context: CallContext) => Promise<Response> | Response,
  ): grpc.handleUnaryCall<unknown, Response> {
    return (call, callback) => {
      const started = performance.now();
      // The caller's trace continues here (traceparent in the metadata); ended with the final status.
      const span = startServerSpan(method, call.metadata);
      const respond = (status: GrpcErrorStatus | undefined, response?: Response, error?: unknown): void => {
        const code = status?.code ?? grpc.status.OK;
        metrics.grpcRequestHandled(method, statusName(code), (performance.now() - started) / 1000);
        span.end(code, status?.details);
        if (status) {
          logFailure(method, status, error);
          callback(statusError(status));
          return;
        }
        callback(null, response);
      };

      const deadline = deadlineMs(call.getDeadline());
      if (deadline <= Date.now()) {
        respond({
          code: grpc.status.DEADLINE_EXCEEDED,
          details: `${method}: the caller's deadline passed before the SFU got the request; nothing was done`,
        });
        return;
      }

      const cancelled = new AbortController();
      const onCancelled = () => cancelled.abort(new Error('call cancelled'));
      call.once('cancelled', onCancelled);
      const signal = Number.isFinite(deadline)
        ? AbortSignal.any([cancelled.signal, AbortSignal.timeout(Math.max(0, deadline - Date.now()))])
        : cancelled.signal;

      // Run with the span active, so the handler's own log lines carry its trace id.
      span.run(() =>
        new Promise<Response>((resolve) => resolve(handle(parseRequest(schema, call.request), { signal })))
          .then(
            (response) => respond(undefined, response),
            (error: unknown) => respond(toGrpcStatus(error), undefined, error),
          )
          .finally(() => call.off('cancelled', onCancelled)),
      );
    };
  }

  return {
    GetRouterRtpCapabilities: unary('GetRouterRtpCapabilities', requestSchemas.GetRouterRtpCapabilities, async ({ peer, displayName, signalingInstance }, { signal }) => {
      const { room } = await registry.join(peer.roomId, peer.peerId, signal, displayName || peer.peerId);
      leases?.peerRegistered(peer.roomId, peer.peerId, signalingInstance ?? '');
      return { rtpCapabilitiesJson: JSON.stringify(room.rtpCapabilities), activeSpeakerPeerId: room.activeSpeakerPeerId };
    }),

    CreateWebRtcTransport: unary('CreateWebRtcTransport', requestSchemas.CreateWebRtcTransport, async (request, { signal }) => {
      const { peer } = registry.peer(request.peer.roomId, request.peer.peerId);
      const transport = await peer.createWebRtcTransport(request.direction, { signal });
      return transportResponse(transport);
    }),

    ConnectWebRtcTransport: unary('ConnectWebRtcTransport', requestSchemas.ConnectWebRtcTransport, async (request) => {
      const { peer } = registry.peer(request.peer.roomId, request.peer.peerId);
      await peer.connectWebRtcTransport(request.transportId, request.dtlsParameters);
      return {};
    }),

    RestartIce: unary('RestartIce', requestSchemas.RestartIce, async (request) => {
      const { peer } = registry.peer(request.peer.roomId, request.peer.peerId);
      return { iceParameters: iceParameters(await peer.restartIce(request.transportId)) };
    }),

    CloseTransport: unary('CloseTransport', requestSchemas.CloseTransport, (request) => {
      const { peer } = registry.peer(request.peer.roomId, request.peer.peerId);
      peer.closeTransport(request.transportId);
      return {};
    }),

    Produce: unary('Produce', requestSchemas.Produce, async (request, { signal }) => {
      const { peer } = registry.peer(request.peer.roomId, request.peer.peerId);
      try {
        const producer = await peer.produce(
          {
            transportId: request.transportId,
            kind: request.kind,
            rtpParameters: request.rtpParametersJson,
            source: request.source,
            paused: request.paused,
          },
          { signal },
        );
        return { producerId: producer.id };
      } catch (error) {
        // mediasoup's own checks of the RTP parameters (ortc validation, codec mapping against the
        // router), and the worker's RtpListener refusing an SSRC / MID / RID the transport already
        // receives: the field is what is wrong, so say which.
        if (
          error instanceof Error &&
          (error.name === 'TypeError' || error.name === 'UnsupportedError' || /already exists in RTP listener/.test(error.message))
        ) {
          throw new InvalidArgumentError(`rtp_parameters_json: ${error.message}`, { cause: error });
        }
        throw error;
      }
    }),

    CloseProducer: unary('CloseProducer', requestSchemas.CloseProducer, (request) => {
      const { peer } = registry.peer(request.peer.roomId, request.peer.peerId);
      peer.closeProducer(request.producerId);
      return {};
    }),

    PauseProducer: unary('PauseProducer', requestSchemas.ProducerRequest, async (request) => {
      const { peer } = registry.peer(request.peer.roomId, request.peer.peerId);
      const producer = await peer.pauseProducer(request.producerId);
      return { paused: producer.paused };
    }),

    ResumeProducer: unary('ResumeProducer', requestSchemas.ProducerRequest, async (request) => {
      const { peer } = registry.peer(request.peer.roomId, request.peer.peerId);
      const producer = await peer.resumeProducer(request.producerId);
      return { paused: producer.paused };
    }),

    Consume: unary('Consume', requestSchemas.Consume, async (request, { signal }) => {
      const { room, peer } = registry.peer(request.peer.roomId, request.peer.peerId);
      const { producer, owner } = room.findProducer(request.producerId);
      const consumer = await peer.consume(
        { transportId: request.transportId, producer, rtpCapabilities: request.rtpCapabilitiesJson },
        { signal },
      );
      return {
        consumerId: consumer.id,
        producerId: consumer.producerId,
        kind: mediaKind(consumer.kind),
        rtpParametersJson: JSON.stringify(consumer.rtpParameters),
        type: consumer.type,
        producerPaused: consumer.producerPaused,
        producerPeerId: owner.id,
        source: consumer.appData.source,
      };
    }),

    ResumeConsumer: unary('ResumeConsumer', requestSchemas.ConsumerRequest, async (request) => {
      const { peer } = registry.peer(request.peer.roomId, request.peer.peerId);
      const consumer = await peer.resumeConsumer(request.consumerId);
      return { paused: consumer.paused, producerPaused: consumer.producerPaused };
    }),

    PauseConsumer: unary('PauseConsumer', requestSchemas.ConsumerRequest, async (request) => {
      const { peer } = registry.peer(request.peer.roomId, request.peer.peerId);
      const consumer = await peer.pauseConsumer(request.consumerId);
      return { paused: consumer.paused, producerPaused: consumer.producerPaused };
    }),

    CloseConsumer: unary('CloseConsumer', requestSchemas.ConsumerRequest, (request) => {
      const { peer } = registry.peer(request.peer.roomId, request.peer.peerId);
      peer.closeConsumer(request.consumerId);
      return {};
    }),

    ClosePeer: unary('ClosePeer', requestSchemas.ClosePeer, (request) => {
      leases?.peerGone(request.peer.roomId, request.peer.peerId);
      const room = registry.find(request.peer.roomId);
      if (!room) return { closed: false, roomClosed: false };
      return room.leave(request.peer.peerId, request.reason || 'unspecified');
    }),

    GetRoom: unary('GetRoom', requestSchemas.GetRoom, (request) => registry.find(request.roomId)?.snapshot() ?? EMPTY_ROOM),

    GetStatus: unary('GetStatus', requestSchemas.GetStatus, () => ({
      nodeId,
      workers: pool.loads().map((load) => ({
        pid: load.pid,
        routerCount: load.routers,
        transportCount: load.transports,
        producerCount: load.producers.audio + load.producers.video,
        consumerCount: load.consumers.audio + load.consumers.video,
      })),
      roomCount: registry.size,
    })),

    WatchEvents: (call) => {
      const method = 'WatchEvents';
      const started = performance.now();
      // One span for the stream's whole life (subscribe → cancelled, overflow or shutdown).
      const span = startServerSpan(method, call.metadata);
      let finished = false;
      let endLease = (): void => {};
      const finish = (status: GrpcErrorStatus | undefined): void => {
        if (finished) return;
        finished = true;
        endLease();
        const code = status?.code ?? grpc.status.CANCELLED;
        span.end(code, status?.details);
        metrics.grpcStreamEnded(method, statusName(code), (performance.now() - started) / 1000);
        if (status) call.emit('error', statusError(status));
      };

      if (deadlineMs(call.getDeadline()) <= Date.now()) {
        finish({ code: grpc.status.DEADLINE_EXCEEDED, details: `${method}: the caller's deadline passed before the SFU got the request` });
        return;
      }
      let roomIds: string[];
      let signalingInstance: string | undefined;
      try {
        ({ roomIds, signalingInstance } = parseRequest(requestSchemas.WatchEvents, call.request));
      } catch (error) {
        finish(toGrpcStatus(error));
        return;
      }
      // The stream is the subscriber's proof of life: its peers' lease holds while one is open.
      endLease = leases?.streamOpened(signalingInstance ?? '') ?? endLease;

      const subscription = feed.subscribe(
        { roomIds },
        {
          write: (event: SfuEvent) => call.write(event),
          onceDrain: (listener) => call.once('drain', listener),
          close: (reason) => {
            if (reason === 'overflow') {
              log.warn({ roomIds }, 'event subscriber too slow; ending its stream');
              finish({ code: grpc.status.RESOURCE_EXHAUSTED, details: 'subscriber fell too far behind; resubscribe and resync with GetRoom' });
            } else {
              finish({ code: grpc.status.UNAVAILABLE, details: 'SFU shutting down' });
            }
          },
        },
      );
      call.once('cancelled', () => {
        subscription.unsubscribe();
        finish(undefined);
      });
      // Send the response headers now: a client that awaits them knows it is subscribed and will
      // see every event from here on (grpc-js would otherwise send them with the first event).
      call.sendMetadata(new grpc.Metadata());
      log.debug({ roomIds, subscribers: feed.subscriberCount }, 'event subscriber added');
    },
  };
}
