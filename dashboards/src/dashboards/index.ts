/** Every lab dashboard, in the order the README lists them. */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { callQualityOverview } from './callQualityOverview.ts';
import { roomDrillDown } from './roomDrillDown.ts';
import { sfuInternals } from './sfuInternals.ts';
import { signaling } from './signaling.ts';

export function allDashboards(): Dashboard[] {
  return [callQualityOverview(), roomDrillDown(), sfuInternals(), signaling()];
}
