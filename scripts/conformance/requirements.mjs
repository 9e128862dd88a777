// What one `conformance server --requirements <revision>` run is expected to run: the frozen
// requirement set the suite ships (requirements/<revision>.yaml in its package), server leg,
// scored scenarios and not_scored ones alike. The runner judges every one of them, so it reads
// the set itself instead of trusting the CLI's exit code, which ignores not_scored scenarios.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Spec revisions the runner knows, in the order it runs them. */
export const REVISIONS = ['2025-11-25', '2026-07-28'];

/** The suite's own YAML parser (a dependency of the conformance package), so that the runner
 * reads the requirement sets and the baselines exactly as the CLI does. */
export function yamlParser(suitePackageDir) {
  return createRequire(path.join(suitePackageDir, 'package.json'))('yaml');
}

/**
 * @returns {{ revision: string, scored: string[], notScored: { scenario: string, reason: string }[] }}
 */
export function readRequirementSet(suitePackageDir, revision) {
  const file = path.join(suitePackageDir, 'requirements', `${revision}.yaml`);
  if (!fs.existsSync(file)) throw new Error(`the suite ships no requirement set ${revision} (${file} not found)`);
  const doc = yamlParser(suitePackageDir).parse(fs.readFileSync(file, 'utf8')) ?? {};
  const scored = doc.server ?? [];
  if (!Array.isArray(scored) || scored.length === 0 || scored.some((s) => typeof s !== 'string')) {
    throw new Error(`${file}: expected a non-empty "server" list of scenario names`);
  }
  const notScored = (doc.not_scored ?? [])
    .filter((e) => e?.leg === 'server')
    .map((e) => ({ scenario: String(e.scenario), reason: String(e.reason ?? 'not scored') }));
  return { revision, scored, notScored };
}

/** Every server scenario the set runs, scored first, in the suite's order. */
export function scenariosOf(set) {
  return [...set.scored, ...set.notScored.map((e) => e.scenario)];
}

/** 'scored', the not_scored reason ('extension', 'pending', ...), or null when not in the set. */
export function scoringOf(set, scenario) {
  if (set.scored.includes(scenario)) return 'scored';
  return set.notScored.find((e) => e.scenario === scenario)?.reason ?? null;
}
