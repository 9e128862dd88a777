import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../src/core/errors.js';
import { histogramValues, operationDurationMetric } from '../../src/ops/operation-histogram.js';

describe('the operation-duration histogram', () => {
  it('turns non-cumulative counts into cumulative buckets with +Inf == _count, skipping empty series', () => {
    const values = histogramValues('h', {
      boundsSeconds: [0.1, 1],
      series: [
        { method: 'initialize', ok: true, counts: [0, 0, 0], sumSeconds: 0, count: 0 },
        { method: 'resources/read', ok: false, counts: [1, 2, 3], sumSeconds: 9.25, count: 6 },
      ],
    });
    const labels = { mcp_method_name: 'resources/read', error_type: '_OTHER' };
    expect(values).toEqual([
      { metricName: 'h_bucket', labels: { ...labels, le: 0.1 }, value: 1 },
      { metricName: 'h_bucket', labels: { ...labels, le: 1 }, value: 3 },
      { metricName: 'h_bucket', labels: { ...labels, le: '+Inf' }, value: 6 },
      { metricName: 'h_sum', labels, value: 9.25 },
      { metricName: 'h_count', labels, value: 6 },
    ]);
  });

  it('refuses a series whose bucket count does not match the bounds (ERR_INVALID_ARG)', () => {
    let thrown: unknown;
    try {
      histogramValues('h', {
        boundsSeconds: [0.1, 1],
        series: [{ method: 'ping', ok: true, counts: [1, 1], sumSeconds: 0, count: 2 }],
      });
    } catch (err) {
      thrown = err;
    }
    expect(hasErrorCode(thrown, 'ERR_INVALID_ARG')).toBe(true);
    expect((thrown as Error).message).toBe('operation durations of ping: 2 bucket counts for 2 bounds (expected 3)');
  });

  it('registers on a prom-client Registry, reads its source at every scrape, and survives resetMetrics()', async () => {
    let n = 1;
    const registry = new Registry();
    const metric = operationDurationMetric(() => ({
      boundsSeconds: [1],
      series: [{ method: 'ping', ok: true, counts: [n, 0], sumSeconds: n / 10, count: n }],
    }));
    // biome-ignore lint/suspicious/noExplicitAny: the registry takes any object with name/help/type/get
    registry.registerMetric(metric as any);
    const count = 'mcp_server_operation_duration_seconds_count{mcp_method_name="ping",error_type=""}';
    expect(await registry.metrics()).toContain(`${count} 1\n`);
    n = 7;
    expect(await registry.metrics()).toContain(`${count} 7\n`);
    registry.resetMetrics();
    expect((await registry.getMetricsAsJSON())[0]).toMatchObject({
      name: 'mcp_server_operation_duration_seconds',
      type: 'histogram',
    });
  });
});
