/**
 * The Prometheus datasource every panel and template variable queries.
 *
 * Dashboards do not hard-wire the datasource: they carry a `datasource` template variable whose
 * default is the datasource that grafana/provisioning/datasources/prometheus.yaml provisions, so they
 * work as provisioned and can still be pointed at another Prometheus from the dashboard's header.
 */
import { DatasourceVariableBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';

/** uid of the provisioned datasource; must equal `uid:` in grafana/provisioning/datasources/prometheus.yaml. */
export const PROMETHEUS_DATASOURCE_UID = 'lab-prometheus';
/** Its display name, shown as the variable's default selection. */
export const PROMETHEUS_DATASOURCE_NAME = 'Prometheus';

export const DATASOURCE_VARIABLE = 'datasource';

/** What panels, targets and query variables reference: whichever datasource the variable selects. */
export const prometheus: DataSourceRef = { type: 'prometheus', uid: `\${${DATASOURCE_VARIABLE}}` };

export function datasourceVariable(): DatasourceVariableBuilder {
  return new DatasourceVariableBuilder(DATASOURCE_VARIABLE)
    .label('Prometheus')
    .type('prometheus')
    .current({ text: PROMETHEUS_DATASOURCE_NAME, value: PROMETHEUS_DATASOURCE_UID });
}
