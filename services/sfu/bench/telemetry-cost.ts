/**
 * What the SFU's telemetry costs, on real mediasoup workers under a real packet load:
 *   - worker CPU with the stats collector running (every 5 s, the default) against the same load
 *     without it. Two workers carry identical loads at the same time and swap roles every phase
 *     (A on / B off, then A off / B on…), so whatever else the machine does hits both alike;
 *   - event-loop lag (p99) of this process with and without collection;
 *   - GET /metrics render time with 1,000 live consumer series, against the same registry without
 *     per-stream series (aggregate-only mode) as the baseline.
 *
 * The load on each worker: one Opus-like stream (50 packets/s) sent over plain RTP from this process
 * into a producer and consumed 1,000 times, each consumer on its own plain transport (as each
 * subscriber has its own), all sending to a local sink socket. It drives the real StatsCollector and
 * SfuMetrics of src/, without gRPC or browsers, so what is measured is the telemetry and nothing else.
 *
 *   npm run bench -- telemetry-cost          (from the repository root)
 *
 * Prints each phase as it ends; writes bench/results/telemetry-cost.json and telemetry-cost.svg.
 */
import dgram from 'node:dgram';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { types as ms } from 'mediasoup';
import { pino } from 'pino';
import { mediasoupWorkerBin } from '../../../scripts/lab.mjs';
import { SfuMetrics } from '../src/metrics.ts';
import { ROOM_MEDIA_CODECS } from '../src/Room.ts';
import { StatsCollector, type StatsSourcePeer, type StatsSourceRoom } from '../src/telemetry/StatsCollector.ts';

const CONSUMERS = 1000;
const PACKETS_PER_SECOND = 50;
const PAYLOAD_BYTES = 120;
const PHASE_SECONDS = 20;
const PHASES = 6;
const STATS_INTERVAL_SECONDS = 5;
const RENDERS = 50;
const SSRC = 0x1234abcd;
const RESULTS_DIR = fileURLToPath(new URL('results/', import.meta.url));

process.env.MEDIASOUP_WORKER_BIN ??= mediasoupWorkerBin();
// mediasoup reads MEDIASOUP_WORKER_BIN when it is imported.
const mediasoup = await import('mediasoup');

const log = pino({ level: 'warn' });
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One worker with the load on it, and a collector over its streams (started and stopped by phase). */
interface LoadedWorker {
  name: string;
  worker: ms.Worker;
  room: StatsSourceRoom;
  /** The producer's plain transport port, where the load is sent. */
  port: number;
  payloadType: number;
  metrics: SfuMetrics;
  collector: StatsCollector;
}

async function loadWorker(name: string, sink: dgram.Socket): Promise<LoadedWorker> {
  const worker = await mediasoup.createWorker({ logLevel: 'warn' });
  const router = await worker.createRouter({ mediaCodecs: ROOM_MEDIA_CODECS });
  const opus = router.rtpCapabilities.codecs!.find((codec) => codec.mimeType.toLowerCase() === 'audio/opus')!;
  // The publisher: plain RTP in (comedia: the transport learns our address from the first packet).
  const inbound = await router.createPlainTransport<{ direction: string }>({
    listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
    rtcpMux: true,
    comedia: true,
    appData: { direction: 'send' },
  });
  const producer = await inbound.produce<{ source: string }>({
    kind: 'audio',
    rtpParameters: {
      codecs: [{ mimeType: 'audio/opus', payloadType: opus.preferredPayloadType!, clockRate: 48000, channels: 2 }],
      encodings: [{ ssrc: SSRC }],
    },
    appData: { source: 'mic' },
  });
  const subscribers: StatsSourcePeer[] = [];
  for (let i = 0; i < CONSUMERS; i++) {
    const transport = await router.createPlainTransport<{ direction: string }>({
      listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
      rtcpMux: true,
      comedia: false,
      appData: { direction: 'recv' },
    });
    await transport.connect({ ip: '127.0.0.1', port: sink.address().port });
    const consumer: ms.Consumer<{ producerPeerId: string; source: string }> = await transport.consume({
      producerId: producer.id,
      rtpCapabilities: router.rtpCapabilities,
      appData: { producerPeerId: 'publisher', source: 'mic' },
    });
    subscribers.push({ displayName: `subscriber ${i}`, transports: () => [transport], producers: () => [], consumers: () => [consumer] });
  }
  const publisher: StatsSourcePeer = { displayName: 'publisher', transports: () => [inbound], producers: () => [producer], consumers: () => [] };
  const room: StatsSourceRoom = {
    id: name,
    peers: () => [publisher, ...subscribers],
    findPeer: (peerId) => (peerId === 'publisher' ? publisher : undefined),
  };
  // Room for every stream: 1,000 consumers, their 1,000 transports, the producer and its transport.
  const metrics = new SfuMetrics({ defaultMetrics: false, perStream: true, maxStreams: CONSUMERS * 2 + 2 });
  const collector = new StatsCollector({ rooms: () => [room], pool: { cpuSeconds: async () => [] }, metrics, intervalSeconds: STATS_INTERVAL_SECONDS, log });
  return { name, worker, room, port: inbound.tuple.localPort, payloadType: opus.preferredPayloadType!, metrics, collector };
}

async function cpuMs(worker: ms.Worker): Promise<number> {
  const usage = await worker.getResourceUsage();
  return usage.ru_utime + usage.ru_stime;
}

async function main(): Promise<void> {
  const sink = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', resolve));
  const socket = dgram.createSocket('udp4');
  const loaded: LoadedWorker[] = [];
  let sender: NodeJS.Timeout | undefined;
  try {
    console.log(`setting up two workers with ${CONSUMERS} consumers each …`);
    loaded.push(await loadWorker('A', sink), await loadWorker('B', sink));
    // The same 50 packets/s into both producers.
    let seq = 0;
    let timestamp = 0;
    sender = setInterval(() => {
      const packet = Buffer.alloc(12 + PAYLOAD_BYTES);
      packet[0] = 0x80;
      packet.writeUInt16BE(seq++ & 0xffff, 2);
      packet.writeUInt32BE(timestamp >>> 0, 4);
      packet.writeUInt32BE(SSRC, 8);
      timestamp += 48000 / PACKETS_PER_SECOND;
      for (const { port, payloadType } of loaded) {
        packet[1] = payloadType;
        socket.send(packet, port, '127.0.0.1');
      }
    }, 1000 / PACKETS_PER_SECOND);
    console.log(
      `load: ${CONSUMERS} consumers of one ${PACKETS_PER_SECOND} packets/s stream on each of two workers; ${PHASES} phases of ${PHASE_SECONDS} s, ` +
        `telemetry on one worker and off on the other, swapped each phase`,
    );
    await sleep(3000); // let the streams settle

    const phases: { on: string; onCpuPercent: number; offCpuPercent: number; lagP99Ms: number }[] = [];
    const idleLag: number[] = [];
    for (let p = 0; p < PHASES; p++) {
      const [on, off] = p % 2 === 0 ? [loaded[0]!, loaded[1]!] : [loaded[1]!, loaded[0]!];
      on.collector.start();
      await on.collector.collect();
      const lag = monitorEventLoopDelay({ resolution: 10 });
      lag.enable();
      const before = await Promise.all([cpuMs(on.worker), cpuMs(off.worker)]);
      const started = performance.now();
      await sleep(PHASE_SECONDS * 1000);
      const seconds = (performance.now() - started) / 1000;
      const after = await Promise.all([cpuMs(on.worker), cpuMs(off.worker)]);
      lag.disable();
      await on.collector.stop();
      // ms of CPU per second of wall time ÷ 10 = percent of one core.
      const phase = {
        on: on.name,
        onCpuPercent: round((after[0] - before[0]) / 10 / seconds),
        offCpuPercent: round((after[1] - before[1]) / 10 / seconds),
        lagP99Ms: round(lag.percentile(99) / 1e6),
      };
      phases.push(phase);
      console.log(
        `phase ${p + 1}/${PHASES}: telemetry on worker ${on.name} ${phase.onCpuPercent}% CPU, off worker ${off.name} ${phase.offCpuPercent}%; ` +
          `event-loop lag p99 ${phase.lagP99Ms} ms`,
      );
    }
    // The same lag measurement with no collector at all, as its baseline.
    {
      const lag = monitorEventLoopDelay({ resolution: 10 });
      lag.enable();
      await sleep(PHASE_SECONDS * 1000);
      lag.disable();
      idleLag.push(round(lag.percentile(99) / 1e6));
      console.log(`no collection for ${PHASE_SECONDS} s: event-loop lag p99 ${idleLag[0]} ms`);
    }

    // Render time with every consumer's series live, against aggregate-only mode as the baseline.
    const measured = loaded[0]!;
    await measured.collector.collect();
    const renderMs = async (registry: { metrics(): Promise<string> }) => {
      const samples: number[] = [];
      for (let i = 0; i < RENDERS; i++) {
        const started = performance.now();
        await registry.metrics();
        samples.push(performance.now() - started);
      }
      return samples.sort((a, b) => a - b);
    };
    const perStream = await renderMs(measured.metrics.registry);
    const aggregate = new SfuMetrics({ defaultMetrics: false, perStream: false });
    await new StatsCollector({ rooms: () => [measured.room], pool: { cpuSeconds: async () => [] }, metrics: aggregate, intervalSeconds: 60, log }).collect();
    const baseline = await renderMs(aggregate.registry);
    const seriesLines = (await measured.metrics.registry.metrics()).split('\n').filter((line) => line && !line.startsWith('#')).length;

    const sum = (pick: (p: (typeof phases)[number]) => number) => phases.reduce((total, p) => total + pick(p), 0);
    const onCpu = sum((p) => p.onCpuPercent) / PHASES;
    const offCpu = sum((p) => p.offCpuPercent) / PHASES;
    const summary = {
      benchmark: 'telemetry-cost',
      measuredAt: new Date().toISOString(),
      machine: { cpus: os.availableParallelism(), node: process.version, mediasoup: mediasoup.version },
      load: { workers: 2, consumersPerWorker: CONSUMERS, packetsPerSecond: PACKETS_PER_SECOND, phaseSeconds: PHASE_SECONDS, phases: PHASES, statsIntervalSeconds: STATS_INTERVAL_SECONDS },
      phases,
      workerCpu: {
        offPercent: round(offCpu),
        onPercent: round(onCpu),
        ratioOnOff: round(onCpu / offCpu, 3),
        perConsumerMicroSecondsPerSecond: { off: round((offCpu * 10 * 1000) / CONSUMERS, 1), on: round((onCpu * 10 * 1000) / CONSUMERS, 1) },
      },
      eventLoopLagP99Ms: { collecting: round(sum((p) => p.lagP99Ms) / PHASES), idle: idleLag[0] },
      metricsRender: {
        exposedSeriesLines: seriesLines,
        perStreamMs: { p50: round(percentile(perStream, 50)), p95: round(percentile(perStream, 95)), max: round(perStream.at(-1)!) },
        aggregateOnlyMs: { p50: round(percentile(baseline, 50)), p95: round(percentile(baseline, 95)), max: round(baseline.at(-1)!) },
        ratioP50: round(percentile(perStream, 50) / percentile(baseline, 50), 2),
      },
    };
    console.log(
      `\nworker CPU, same load at the same time: telemetry off ${summary.workerCpu.offPercent}%, on ${summary.workerCpu.onPercent}% → ×${summary.workerCpu.ratioOnOff} ` +
        `(${summary.workerCpu.perConsumerMicroSecondsPerSecond.off} → ${summary.workerCpu.perConsumerMicroSecondsPerSecond.on} µs per consumer per second)`,
    );
    console.log(`event-loop lag p99: collecting ${summary.eventLoopLagP99Ms.collecting} ms, no collection ${summary.eventLoopLagP99Ms.idle} ms`);
    console.log(
      `GET /metrics render with ${CONSUMERS} consumer series (${seriesLines} lines): p50 ${summary.metricsRender.perStreamMs.p50} ms, ` +
        `p95 ${summary.metricsRender.perStreamMs.p95} ms; aggregate-only baseline p50 ${summary.metricsRender.aggregateOnlyMs.p50} ms (×${summary.metricsRender.ratioP50})`,
    );
    mkdirSync(RESULTS_DIR, { recursive: true });
    const jsonFile = path.join(RESULTS_DIR, 'telemetry-cost.json');
    writeFileSync(jsonFile, `${JSON.stringify(summary, null, 2)}\n`);
    const svgFile = path.join(RESULTS_DIR, 'telemetry-cost.svg');
    writeFileSync(svgFile, phasesSvg(phases));
    console.log(`results: ${path.relative(process.cwd(), jsonFile)}, chart: ${path.relative(process.cwd(), svgFile)}`);
  } finally {
    clearInterval(sender);
    for (const { collector, worker } of loaded) {
      await collector.stop();
      worker.close();
    }
    socket.close();
    sink.close();
  }
}

/** Per phase, the two workers' CPU side by side: telemetry on (blue) and off (grey). */
function phasesSvg(phases: { on: string; onCpuPercent: number; offCpuPercent: number }[]): string {
  const width = 720;
  const height = 300;
  const pad = { top: 40, bottom: 40, left: 50, right: 20 };
  const max = Math.max(...phases.flatMap((p) => [p.onCpuPercent, p.offCpuPercent])) * 1.2 || 1;
  const slot = (width - pad.left - pad.right) / phases.length;
  const bar = slot * 0.35;
  const y = (v: number) => pad.top + (height - pad.top - pad.bottom) * (1 - v / max);
  const rect = (x: number, value: number, color: string) =>
    `<rect x="${x.toFixed(1)}" y="${y(value).toFixed(1)}" width="${bar.toFixed(1)}" height="${(y(0) - y(value)).toFixed(1)}" fill="${color}"/>` +
    `<text x="${(x + bar / 2).toFixed(1)}" y="${(y(value) - 4).toFixed(1)}" font-size="10" text-anchor="middle">${value}%</text>`;
  const bars = phases
    .map((p, i) => {
      const x = pad.left + i * slot + slot * 0.1;
      return `${rect(x, p.onCpuPercent, '#4f8cff')}${rect(x + bar, p.offCpuPercent, '#adb5bd')}<text x="${(x + bar).toFixed(1)}" y="${height - pad.bottom + 16}" font-size="11" text-anchor="middle">phase ${i + 1} (on: ${p.on})</text>`;
    })
    .join('\n  ');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="system-ui, sans-serif">
  <rect width="100%" height="100%" fill="#fff"/>
  <text x="${pad.left}" y="24" font-size="14" font-weight="600">mediasoup worker CPU, ${CONSUMERS} consumers each: telemetry on (blue) vs off (grey), same time</text>
  ${bars}
</svg>
`;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
