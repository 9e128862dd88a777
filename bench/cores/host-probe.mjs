// How fast the host runs right now: a fixed, allocation-light JS workload timed in the bench
// process just before a measurement. On a shared VM the same code runs up to 1.5x slower from
// one minute to the next with no steal time reported (an idle 2-vCPU KVM guest, 2026-12-02:
// 98-151 ms for this loop over six runs), so a ratio between rounds far apart in time mixes
// the servers' difference with the host's. The report prints the spread of these probes.

/** Milliseconds of the fixed workload (about 50-100 ms on a 2026 x86 core). */
export function hostProbeMs() {
  const items = Array.from({ length: 1000 }, (_, i) => ({ v: i }));
  const t0 = performance.now();
  let x = 0;
  for (let k = 0; k < 15_000; k++) for (let i = 0; i < 1000; i++) x += (items[i]?.v ?? 0) ^ k;
  const ms = performance.now() - t0;
  // Use x so the loop cannot be removed.
  return x === -1 ? -1 : Number(ms.toFixed(1));
}
