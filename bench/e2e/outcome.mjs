// How a bench case records that it failed: status `failed`, the first line of the error as
// the reason (for the tables), the whole message as the detail (for the JSON), and a log line.
/**
 * @param {any} out the case's result object
 * @param {unknown} err @param {string} label @param {(s: string) => void} log
 */
export function recordFailure(out, err, label, log) {
  const message = /** @type {Error} */ (err).message;
  out.status = 'failed';
  out.reason = message.split('\n')[0];
  out.detail = message;
  log(`${label}: FAILED: ${out.reason}`);
}
