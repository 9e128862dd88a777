import os from 'node:os';
import type { LoadMachine } from './report.js';

/** The load generator's machine for the report; `fdLimit` is the soft limit the run used. */
export function machineInfo(fdLimit: number | null): LoadMachine {
  const cpus = os.cpus();
  return {
    cpus: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: process.platform,
    fdLimit: fdLimit !== null && Number.isFinite(fdLimit) ? fdLimit : null,
  };
}
