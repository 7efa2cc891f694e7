/**
 * A host of its own for one participant: a Linux network namespace joined to this machine by a veth
 * pair, so everything that participant's browser sends or receives crosses one device on which
 * ./PacketLoss.ts can drop packets (`tc netem` does not exist on this kernel; nftables does).
 *
 *   host side  <hostDevice>  10.77.N.1/24   ← the lab listens here for this participant
 *   namespace  <device>      10.77.N.2/24   ← its browser, started through chromiumExecutable()
 *
 * Needs root (or CAP_NET_ADMIN) and iproute2. Touches only what it created: the namespace, the veth
 * pair (deleted with the namespace) and a temporary directory; close() removes them, and so does
 * the process exit when a run dies before close().
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CHROMIUM_PATH } from '../browser.ts';

const run = promisify(execFile);

/** 10.77.N.0/24 per namespace; N is the first index whose subnet and device names are unused. */
const SUBNET_PREFIX = '10.77';
const MAX_NAMESPACES = 250;

export class NetworkNamespace {
  /** The netns name (`ip netns exec <name> …`). */
  readonly name: string;
  /** The veth end inside the namespace, on which packet loss is applied. */
  readonly device: string;
  readonly hostDevice: string;
  /** This machine's address on the link: where the lab must listen for the participant. */
  readonly hostAddress: string;
  /** The participant's own address. */
  readonly address: string;
  readonly #tempDir: string;
  #closed = false;
  readonly #removeOnExit = () => this.#removeSync();

  private constructor(index: number) {
    this.name = `lab-e2e-${process.pid}-${index}`;
    this.device = `labns${index}`;
    this.hostDevice = `labhost${index}`;
    this.hostAddress = `${SUBNET_PREFIX}.${index}.1`;
    this.address = `${SUBNET_PREFIX}.${index}.2`;
    this.#tempDir = mkdtempSync(path.join(tmpdir(), 'lab-netns-'));
  }

  /** Creates the namespace and its link, up and addressed. Fails with what to do when not root. */
  static async create(): Promise<NetworkNamespace> {
    if (process.getuid?.() !== 0) {
      throw new Error('network impairment needs root (network namespaces, veth, nftables): run the suite as root');
    }
    const namespace = new NetworkNamespace(await freeIndex());
    process.once('exit', namespace.#removeOnExit);
    try {
      await namespace.#setUp();
    } catch (error) {
      await namespace.close();
      throw error;
    }
    return namespace;
  }

  async #setUp(): Promise<void> {
    await run('ip', ['netns', 'add', this.name]);
    await run('ip', ['link', 'add', this.hostDevice, 'type', 'veth', 'peer', 'name', this.device]);
    await run('ip', ['link', 'set', this.device, 'netns', this.name]);
    await run('ip', ['addr', 'add', `${this.hostAddress}/24`, 'dev', this.hostDevice]);
    await run('ip', ['link', 'set', this.hostDevice, 'up']);
    await this.exec('ip', ['addr', 'add', `${this.address}/24`, 'dev', this.device]);
    await this.exec('ip', ['link', 'set', this.device, 'up']);
    await this.exec('ip', ['link', 'set', 'lo', 'up']);
    // Everything else through this machine: another namespace's host end (where the SFU may
    // listen) is one of its addresses.
    await this.exec('ip', ['route', 'add', 'default', 'via', this.hostAddress]);
  }

  /** Runs a command inside the namespace. */
  async exec(command: string, args: string[], input?: string): Promise<string> {
    const child = run('ip', ['netns', 'exec', this.name, command, ...args]);
    if (input !== undefined) {
      child.child.stdin?.end(input);
    }
    return (await child).stdout;
  }

  /** The origin of `url` (a lab on this machine) as the namespace reaches it: its link's host end, same port. */
  originOnLink(url: string): string {
    const onLink = new URL(url);
    onLink.hostname = this.hostAddress;
    return onLink.origin;
  }

  /**
   * An executable that starts Chromium inside the namespace (Playwright's `executablePath`; it
   * drives the browser over a pipe, so control does not cross the impaired link).
   */
  chromiumExecutable(): string {
    const file = path.join(this.#tempDir, 'chromium');
    writeFileSync(file, `#!/bin/sh\nexec ip netns exec '${this.name}' '${CHROMIUM_PATH}' "$@"\n`);
    chmodSync(file, 0o755);
    return file;
  }

  /** Removes the namespace (which deletes the veth pair) and the temporary files. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    process.off('exit', this.#removeOnExit);
    await run('ip', ['netns', 'del', this.name]).catch(() => {});
    // A veth end left in this namespace (setup failed halfway) goes with its peer.
    await run('ip', ['link', 'del', this.hostDevice]).catch(() => {});
    rmSync(this.#tempDir, { recursive: true, force: true });
  }

  #removeSync(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const args of [['netns', 'del', this.name], ['link', 'del', this.hostDevice]]) {
      try {
        execFileSync('ip', args, { stdio: 'ignore' });
      } catch {
        // Already gone.
      }
    }
    rmSync(this.#tempDir, { recursive: true, force: true });
  }
}

/** The first subnet index no interface of this machine uses (nor a device name of ours). */
async function freeIndex(): Promise<number> {
  const { stdout } = await run('ip', ['-o', 'link', 'show']);
  const devices = new Set([...stdout.matchAll(/^\d+:\s+([^:@\s]+)/gm)].map((m) => m[1]));
  const addresses = new Set(
    Object.values(networkInterfaces())
      .flat()
      .map((info) => info?.address),
  );
  for (let index = 1; index <= MAX_NAMESPACES; index++) {
    if (devices.has(`labhost${index}`) || addresses.has(`${SUBNET_PREFIX}.${index}.1`)) continue;
    return index;
  }
  throw new Error(`no free ${SUBNET_PREFIX}.N.0/24 subnet for a network namespace`);
}
