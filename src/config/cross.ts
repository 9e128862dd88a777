import { show } from './error.js';
import { origin, type Resolution } from './sources.js';

function get(r: Resolution, dotted: string): unknown {
  const [section, key] = dotted.split('.') as [string, string];
  return (r.values[section] as Record<string, unknown>)[key];
}

/**
 * `low` must not exceed `high`. The problem is reported on whichever key was set (a key left
 * at its default is not what the operator has to change), worded from that key's side.
 */
function atMost(r: Resolution, low: string, high: string, why: string): void {
  const lo = get(r, low) as number;
  const hi = get(r, high) as number;
  if (lo <= hi) return;
  const loSource = r.sources.get(low);
  const hiSource = r.sources.get(high);
  if (loSource === undefined && hiSource !== undefined) {
    r.problems.push(
      `config key "${high}" ${origin(hiSource)} must be >= ${low}, which is ${show(lo)} ${origin(loSource)}${why}, got ${show(hi)}`,
    );
  } else {
    r.problems.push(
      `config key "${low}" ${origin(loSource)} must be <= ${high}, which is ${show(hi)} ${origin(hiSource)}${why}, got ${show(lo)}`,
    );
  }
}

/** Checks between keys, run on the merged values (each key's own range is already checked). */
export function crossCheck(r: Resolution): void {
  atMost(r, 'server.headersTimeoutMs', 'server.bodyTimeoutMs', ': the body deadline counts from the same first byte');
  atMost(r, 'queue.warnAt', 'queue.rejectAt', '');
  atMost(r, 'admission.maxPerShard', 'admission.maxGlobal', '');
  if ((get(r, 'cluster.heartbeatMs') as number) * 2 > (get(r, 'cluster.deadAfterMs') as number)) {
    r.problems.push(
      `config key "cluster.deadAfterMs" ${origin(r.sources.get('cluster.deadAfterMs'))} must be at least 2 x cluster.heartbeatMs ` +
        `(${show(get(r, 'cluster.heartbeatMs'))} ${origin(r.sources.get('cluster.heartbeatMs'))}): one late heartbeat would declare a live node dead, got ${show(get(r, 'cluster.deadAfterMs'))}`,
    );
  }
  atMost(r, 'breaker.successThreshold', 'breaker.halfOpenMaxCalls', ': the breaker could never close again');
  if (get(r, 'server.stdio') === false && get(r, 'websocket.enabled') === false && get(r, 'http.enabled') === false) {
    r.problems.push(
      `config keys "websocket.enabled" ${origin(r.sources.get('websocket.enabled'))} and "http.enabled" ` +
        `${origin(r.sources.get('http.enabled'))} are both false: nothing would be served; enable one, or set server.stdio`,
    );
  }
}
