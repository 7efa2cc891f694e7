/**
 * `npm run dashboards`: renders every dashboard to dashboards/generated/<uid>.json and removes JSON
 * files no dashboard renders any more. The output is committed; a test fails when it is out of date.
 */
import path from 'node:path';
import { GENERATED_DIR, renderDashboards, writeGenerated } from './generatedFiles.ts';

const { written, removed } = writeGenerated(GENERATED_DIR, renderDashboards());
const where = path.relative(process.cwd(), GENERATED_DIR) || '.';
for (const file of written) console.log(`[dashboards] wrote ${path.join(where, file)}`);
for (const file of removed) console.log(`[dashboards] removed ${path.join(where, file)} (no dashboard renders it)`);
