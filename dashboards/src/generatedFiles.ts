/**
 * The generated dashboard JSON: what it should be (rendered from the TypeScript), writing it, and
 * telling how the committed files differ from it.
 */
import { readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { allDashboards } from './dashboards/index.ts';
import { stableJson } from './stableJson.ts';

/** dashboards/generated: committed, and what Grafana's file provider reads. */
export const GENERATED_DIR = fileURLToPath(new URL('../generated/', import.meta.url));

/** File name → content, one `<uid>.json` per dashboard. */
export function renderDashboards(dashboards: readonly Dashboard[] = allDashboards()): Map<string, string> {
  const files = new Map<string, string>();
  for (const dashboard of dashboards) {
    if (!dashboard.uid) throw new Error(`dashboard "${dashboard.title ?? '?'}" has no uid`);
    const file = `${dashboard.uid}.json`;
    if (files.has(file)) throw new Error(`two dashboards have the uid ${dashboard.uid}`);
    files.set(file, stableJson(dashboard));
  }
  return files;
}

export type GeneratedFileProblem = {
  file: string;
  /** missing: not written yet; outdated: differs from what the code renders; stale: no dashboard renders it. */
  problem: 'missing' | 'outdated' | 'stale';
};

/** How the `.json` files in `dir` differ from `expected`; empty when they are up to date. */
export function checkGenerated(dir: string, expected: ReadonlyMap<string, string>): GeneratedFileProblem[] {
  const present = new Set(jsonFiles(dir));
  const problems: GeneratedFileProblem[] = [];
  for (const [file, content] of expected) {
    if (!present.has(file)) problems.push({ file, problem: 'missing' });
    else if (readFileSync(path.join(dir, file), 'utf8') !== content) problems.push({ file, problem: 'outdated' });
  }
  for (const file of present) if (!expected.has(file)) problems.push({ file, problem: 'stale' });
  return problems;
}

/** Makes `dir` hold exactly `expected`: writes every file, removes `.json` files no dashboard renders. */
export function writeGenerated(dir: string, expected: ReadonlyMap<string, string>): { written: string[]; removed: string[] } {
  mkdirSync(dir, { recursive: true });
  const removed = jsonFiles(dir).filter((file) => !expected.has(file));
  for (const file of removed) rmSync(path.join(dir, file));
  for (const [file, content] of expected) writeFileSync(path.join(dir, file), content);
  return { written: [...expected.keys()], removed };
}

function jsonFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort();
}
