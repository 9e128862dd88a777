// Preloaded into `erlmcp serve` by run.mjs (`node --import guard.mjs dist/cli/erlmcp.js serve`):
// the bench must never leave a server behind, even when the runner itself is SIGKILLed (its
// exit handlers then never run). The main thread exits when its parent process goes away (it is
// re-parented) or when BENCH_CORES_LIFETIME_SEC runs out. Worker threads inherit the preload and
// do nothing here. Both timers are unref'd: they never keep the process alive or wake it often.
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, 500).unref();
  const lifetimeSec = Number(process.env.BENCH_CORES_LIFETIME_SEC);
  if (lifetimeSec > 0) setTimeout(() => process.exit(3), lifetimeSec * 1000).unref();
}
