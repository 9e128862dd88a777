// Machine-wide CPU readings shared by the e2e groups: busy and total jiffies from /proc/stat,
// so a case can tell how much CPU other processes took during its measured window; and the
// machine description every results file starts with.
import fs from 'node:fs';
import os from 'node:os';

/** Busy and total CPU jiffies of the whole machine (Linux /proc/stat); undefined elsewhere. */
export function machineCpu() {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/**
 * Percent of one core the machine was busy between two readings, minus `known` (the processes
 * the case accounts for): what everything else took. Undefined without both readings.
 * @param {ReturnType<typeof machineCpu>} m0 @param {ReturnType<typeof machineCpu>} m1 @param {number} known
 */
export function otherCpuPct(m0, m1, known) {
  if (!m0 || !m1 || m1.total === m0.total) return undefined;
  const busyPct = ((m1.busy - m0.busy) / (m1.total - m0.total)) * os.cpus().length * 100;
  return Math.max(0, Math.round(busyPct - known));
}

/**
 * Resolves once the machine was busy less than `pct` % of one core over a 500 ms sample (call
 * it while the case's own processes are idle), or after `maxMs` regardless. Returns true when
 * it found a quiet moment.
 * @param {number} pct @param {number} maxMs
 */
export async function waitForQuiet(pct, maxMs) {
  const until = Date.now() + maxMs;
  while (Date.now() < until) {
    const m0 = machineCpu();
    await new Promise((r) => setTimeout(r, 500));
    const busy = otherCpuPct(m0, machineCpu(), 0);
    if (busy === undefined || busy < pct) return true;
  }
  return false;
}

/** The machine and Node a run's results were measured on (the `env` of the results files). */
export function machineEnv() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    osRelease: os.release(),
    cpu: cpus[0]?.model,
    cores: cpus.length,
    totalMemMiB: Math.round(os.totalmem() / 2 ** 20),
    loadavgAtEnd: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
}
