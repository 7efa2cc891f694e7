/**
 * @lab/dashboards: the lab's Grafana dashboards as code, and what other packages (the end-to-end
 * checks against a live Prometheus) need from them.
 */
export { allDashboards } from './dashboards/index.ts';
export { CALL_QUALITY_OVERVIEW_UID } from './dashboards/callQualityOverview.ts';
export { ROOM_DRILL_DOWN_UID } from './dashboards/roomDrillDown.ts';
export { SFU_INTERNALS_UID } from './dashboards/sfuInternals.ts';
export { SIGNALING_UID } from './dashboards/signaling.ts';
export { PROMETHEUS_DATASOURCE_UID } from './datasource.ts';
export { renderDashboards, GENERATED_DIR } from './generatedFiles.ts';
export { panelQueries, interpolate, ALL, BUILTIN_VARIABLES, type PanelQuery, type VariableValues } from './panelQueries.ts';
