// Expected-failures baselines (test/conformance/expected-failures.<revision>.yml) and the verdict
// on one revision's results. The grammar is the suite's own (`--expected-failures`):
//   server:
//     - <scenario>             # reason   (the whole scenario may fail)
//     - <scenario>:<check-id>  # reason   (only that check may fail)
// and so is the rule for a failed check: FAILURE or WARNING. Unlike the CLI, which leaves
// not_scored scenarios out of its baseline check, every scenario the requirement set runs is
// judged here, scored or not.

/** Most severe first, as the suite collapses repeated check ids (FAILURE > WARNING > SUCCESS). */
const SEVERITY = { FAILURE: 3, WARNING: 2, SUCCESS: 1 };
const isFailed = (c) => c.status === 'FAILURE' || c.status === 'WARNING';

/**
 * Reads a baseline. Each entry needs its reason in a trailing comment.
 * @returns {{ scenario: string, checkId?: string, text: string, reason: string }[]}
 */
export function readBaseline(file, source, yaml) {
  const doc = yaml.parseDocument(source);
  if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
  const top = doc.toJS();
  if (top !== null && (typeof top !== 'object' || Array.isArray(top))) {
    throw new Error(`${file}: expected a mapping with a "server:" list`);
  }
  const seq = doc.get('server', true);
  if (seq === undefined || seq === null) return [];
  if (!yaml.isSeq(seq)) throw new Error(`${file}: "server" must be a list of scenario names`);
  const entries = [];
  for (const item of seq.items) {
    const text = yaml.isScalar(item) ? String(item.value ?? '') : '';
    const m = /^([^\s:]+)(?::([^\s:]+))?$/.exec(text);
    if (!m)
      throw new Error(
        `${file}: entry ${JSON.stringify(item?.toJSON?.() ?? item)} is not "<scenario>" or "<scenario>:<check-id>"`,
      );
    const reason = (item.comment ?? '').trim();
    if (!reason) throw new Error(`${file}: entry ${text} needs its reason in a comment on the same line`);
    if (entries.some((e) => e.text === text)) throw new Error(`${file}: entry ${text} is listed twice`);
    entries.push({ scenario: m[1], checkId: m[2], text, reason });
  }
  for (const e of entries) {
    if (e.checkId && entries.some((w) => !w.checkId && w.scenario === e.scenario)) {
      throw new Error(`${file}: ${e.text} is redundant: the whole of ${e.scenario} is already expected to fail`);
    }
  }
  return entries;
}

/** One check per non-INFO id, the most severe occurrence (ties: the last); INFO checks kept. */
function collapse(checks) {
  const winner = new Map();
  checks.forEach((c, i) => {
    if (c.status === 'INFO') return;
    const cur = winner.get(c.id);
    if (cur === undefined || (SEVERITY[c.status] ?? 0) >= (SEVERITY[checks[cur].status] ?? 0)) winner.set(c.id, i);
  });
  return checks.filter((c, i) => c.status === 'INFO' || winner.get(c.id) === i);
}

function countStatuses(checks) {
  const count = { SUCCESS: 0, FAILURE: 0, WARNING: 0, INFO: 0, SKIPPED: 0 };
  for (const c of checks) if (c.status in count) count[c.status]++;
  return count;
}

/**
 * Judges one scenario's checks against the baseline entries naming it.
 * verdict: 'pass' | 'pass (info)' | 'pass (skipped)' | 'expected-fail' | 'STALE' | 'FAIL'
 *   'pass (info)' / 'pass (skipped)': nothing failed and nothing succeeded either (the suite
 *   found nothing applicable, or skipped its own check), which the suite counts as a pass.
 */
export function judgeScenario(scenario, checks, entries) {
  const count = countStatuses(checks);
  const failing = checks.filter(isFailed);
  const whole = entries.some((e) => e.scenario === scenario && !e.checkId);
  const perCheck = new Set(entries.filter((e) => e.scenario === scenario && e.checkId).map((e) => e.checkId));
  const unexpected = [];
  const stale = [];
  if (whole) {
    if (failing.length === 0) stale.push(scenario);
  } else if (perCheck.size > 0) {
    const collapsed = collapse(checks);
    for (const c of collapsed.filter(isFailed)) if (!perCheck.has(c.id)) unexpected.push(c.id);
    for (const id of perCheck) {
      // Only a demonstrated pass makes an entry stale; an absent or SKIPPED check proves nothing.
      if (collapsed.find((c) => c.id === id && c.status !== 'INFO')?.status === 'SUCCESS') {
        stale.push(`${scenario}:${id}`);
      }
    }
  } else if (failing.length > 0) {
    unexpected.push(...new Set(failing.map((c) => c.id)));
  }
  let verdict;
  if (unexpected.length > 0) verdict = 'FAIL';
  else if (stale.length > 0) verdict = 'STALE';
  else if (failing.length > 0) verdict = 'expected-fail';
  else if (count.SUCCESS > 0) verdict = 'pass';
  else verdict = count.SKIPPED > 0 ? 'pass (skipped)' : 'pass (info)';
  const problems = failing.map((c) => `${c.status} ${c.id}: ${oneLine(c.errorMessage ?? c.description ?? '')}`);
  return { scenario, count, verdict, stale, problems };
}

const oneLine = (s) => {
  const flat = String(s).replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 297)}...` : flat;
};

/** Baseline entries whose scenario has no results: they cannot be checked, so they are stale. */
export function unrunEntries(entries, ranScenarios) {
  return entries.filter((e) => !ranScenarios.has(e.scenario)).map((e) => e.text);
}
