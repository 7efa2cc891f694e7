/**
 * Runs the real promtool (Debian's `prometheus` package). A missing promtool is an error, not a
 * reason to skip: the configuration and the rules would otherwise go unchecked without anyone noticing.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** dashboards/: commands run here, so promtool's output names files as dashboards/ readers know them. */
export const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

export const PROMTOOL_MISSING =
  'promtool is not installed (it comes with Debian\'s `prometheus` package): run `bash scripts/ensure-apt.sh prometheus`, or `bash scripts/setup.sh --test-tools`';

export type PromtoolResult = {
  ok: boolean;
  /** The command line and everything promtool printed, for the failure message. */
  output: string;
};

export function promtool(args: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): PromtoolResult {
  const result = spawnSync('promtool', args, { cwd: PACKAGE_DIR, env: options.env ?? process.env, encoding: 'utf8' });
  if (result.error) {
    if ((result.error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(PROMTOOL_MISSING);
    throw result.error;
  }
  return { ok: result.status === 0, output: `$ promtool ${args.join(' ')}\n${result.stdout}${result.stderr}` };
}
