/**
 * The cluster's series in /metrics, read from this thread's cluster view at scrape time. Each
 * carries the `node` label of this node; outside a cluster they have no samples (HELP and TYPE
 * only), so a dashboard never mistakes "not clustered" for "zero nodes".
 */
import { Gauge, type Registry } from 'prom-client';
import { clusterView } from '../cluster/current.js';

/** Adds the erlmcp_cluster_* gauges to `registry`. */
export function addClusterMetrics(registry: Registry): void {
  const registers = [registry];
  const gauge = (name: string, help: string, value: (v: NonNullable<ReturnType<typeof clusterView>>) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['node'],
      registers,
      collect() {
        this.reset();
        const v = clusterView();
        if (v) this.set({ node: v.node }, value(v));
      },
    });
  gauge('erlmcp_cluster_nodes', 'Live nodes of the cluster, as this node last saw them.', (v) => v.nodes.length);
  gauge('erlmcp_cluster_redis_up', "1 while this node reaches the cluster's Redis, 0 while it does not.", (v) =>
    v.redis === 'up' ? 1 : 0,
  );
  gauge('erlmcp_cluster_leader', '1 while this node is the leader (the oldest live node).', (v) =>
    v.role === 'leader' ? 1 : 0,
  );
  gauge(
    'erlmcp_cluster_heartbeat_age_seconds',
    "Seconds since this node's last successful heartbeat (grows while Redis is away).",
    (v) => (v.last_beat_ms ?? 0) / 1000,
  );
}
