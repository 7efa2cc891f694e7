// Fails when a package imports across a module boundary the architecture forbids (see README,
// "Architecture"): proto/ is the ground floor; sfu, signaling and client stand on it and on nothing of
// each other; signaling never touches mediasoup (it reaches the SFU only over gRPC); e2e/ talks to the
// running lab (pages, gRPC, PostgreSQL, scripts/lab.mjs to start it), never to the packages' internals;
// dashboards/ stands alone (e2e runs its panel queries against a live Prometheus).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './lab.mjs';

/**
 * package folder → what it must not import: package names (regex on the specifier) and repo folders
 * (a relative import is resolved and must not land inside them).
 */
const forbidden = {
  proto: { packages: [/^@lab\/(?!proto)/, /^mediasoup/], folders: ['services', 'client'] },
  'services/signaling': { packages: [/^mediasoup(\/|$)/, /^@lab\/(sfu|client)/], folders: ['services/sfu', 'client'] },
  'services/sfu': { packages: [/^@lab\/(signaling|client)/], folders: ['services/signaling', 'client'] },
  client: { packages: [/^@lab\/(sfu|signaling)/, /^mediasoup(\/|$)/], folders: ['services'] },
  e2e: { packages: [/^@lab\/(sfu|signaling|client)/, /^mediasoup/], folders: ['services', 'client'] },
  // Dashboards and rules are written against the metric catalogue (docs/metrics.md), not the code.
  dashboards: { packages: [/^@lab\/(?!dashboards)/, /^mediasoup/], folders: ['services', 'client', 'e2e', 'proto'] },
};

// `import … from 'x'` / `export … from 'x'`, `import('x')`, and the side-effect form `import 'x'`.
const importRe = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;
const violations = [];
for (const [pkg, { packages, folders }] of Object.entries(forbidden)) {
  for (const file of sourceFiles(path.join(repoRoot, pkg))) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(importRe)) {
      const spec = match[1] ?? match[2] ?? match[3];
      const target = spec.startsWith('.') ? path.relative(repoRoot, path.resolve(path.dirname(file), spec)) : undefined;
      const bad = target
        ? folders.some((folder) => target === folder || target.startsWith(`${folder}/`))
        : packages.some((rule) => rule.test(spec));
      if (bad) violations.push(`${path.relative(repoRoot, file)}: imports '${spec}'`);
    }
  }
}
if (violations.length) {
  console.error(`Forbidden imports across module boundaries:\n  ${violations.join('\n  ')}`);
  process.exit(1);
}

function* sourceFiles(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === 'generated') continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) yield* sourceFiles(full);
    else if (/\.(ts|tsx|mts|js|mjs)$/.test(name)) yield full;
  }
}
