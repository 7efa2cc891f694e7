// `npm start`: runs the lab on this machine — SFU + signaling (which serves the built call page) —
// until Ctrl-C. Ports and every other setting come from the environment (see README, "Configuration").
import { startLab } from './lab.mjs';

const signalingPort = Number(process.env.SIGNALING_PORT ?? 8080);
const sfuGrpcPort = Number(process.env.SFU_GRPC_PORT ?? 50051);
const sfuMetricsPort = Number(process.env.SFU_METRICS_PORT ?? 9464);

console.log('[lab] starting SFU and signaling …');
const lab = await startLab({ logs: 'inherit', signalingPort, sfuGrpcPort, sfuMetricsPort });
console.log(`
[lab] ready
[lab]   call page        ${lab.httpUrl}
[lab]   signaling socket ${lab.wsUrl}
[lab]   SFU gRPC         ${lab.sfuAddress}
[lab]   SFU metrics      ${lab.sfuMetricsUrl}
[lab]   database         ${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded PGlite (.lab/pglite)'}
[lab] Ctrl-C stops the lab.
`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    console.log('[lab] stopping …');
    await lab.stop();
    process.exit(0);
  });
}

// A service that dies takes the lab down with it, loudly, rather than leaving half a lab running.
lab.exited.then(async ({ name, code }) => {
  console.error(`[lab] ${name} exited unexpectedly (${code}); stopping the lab`);
  await lab.stop();
  process.exit(1);
});
