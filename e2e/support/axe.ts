/**
 * axe-core scans of what a page shows now, through @axe-core/playwright (every axe rule, WCAG 2.x A
 * and AA and best practices). A scan fails on serious or critical violations only; the full result
 * (every violation of any impact, the passes and what axe could not decide) is attached to the
 * report, so the minor findings can be read and weighed there.
 */
import { AxeBuilder } from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import type { AxeResults, ImpactValue } from 'axe-core';

/** The impacts that fail a scan. */
const BLOCKING: readonly ImpactValue[] = ['serious', 'critical'];

export interface AxeScanOptions {
  /** Scan only within this selector (default: the whole page). */
  include?: string;
  /** Leave out these selectors (say, a third-party widget the test does not own). */
  exclude?: string[];
}

/** One blocking finding: the rule, its impact, the element (axe's selector) and what is wrong. */
export function describeViolations(results: AxeResults): string[] {
  return results.violations.flatMap((violation) =>
    violation.nodes
      .filter((node) => BLOCKING.includes((node.impact ?? violation.impact) as ImpactValue))
      .map(
        (node) =>
          `${violation.id} [${node.impact ?? violation.impact}] ${node.target.map(String).join(' >> ')}: ${violation.help}` +
          (node.failureSummary ? ` (${node.failureSummary.replace(/\s+/g, ' ').trim()})` : ''),
      ),
  );
}

/**
 * Scans `page` as it is now, attaches the full result as `axe-<label>.json`, and fails listing each
 * serious or critical violation's rule id, impact and target. Returns the result for further checks.
 */
export async function expectNoSeriousViolations(page: Page, label: string, options: AxeScanOptions = {}): Promise<AxeResults> {
  // Legacy mode runs axe inside the page itself (the default mode opens a helper page in the same
  // browser context); the page has no cross-origin frames, the one thing only the default mode
  // would reach.
  let builder = new AxeBuilder({ page }).setLegacyMode(true);
  if (options.include) builder = builder.include(options.include);
  for (const selector of options.exclude ?? []) builder = builder.exclude(selector);
  const results = await builder.analyze();
  await test.info().attach(`axe-${label.replace(/[^\w-]+/g, '-')}.json`, {
    body: JSON.stringify(results, null, 2),
    contentType: 'application/json',
  });
  expect(describeViolations(results), `axe (${label}): serious or critical violations`).toEqual([]);
  // A scan that checked nothing (a blank page, a wrong include) must not pass for a clean one.
  expect(results.passes.length, `axe (${label}) should have checked something`).toBeGreaterThan(0);
  return results;
}
