// The "before" architecture of the seeds, in JS: one central registry object holding every
// server and transport in Maps keyed by id, with the same API, result values and delivery as
// erlmcp/legacy (what a user would write instead; kept straightforward, no tricks ours could
// not also use). Only what the legacy suite calls is implemented.
const DELIVERED_ONE = Object.freeze({ ok: true, delivered: 1 });
const OK = Object.freeze({ ok: true });
const ALREADY = Object.freeze({ ok: false, error: 'already_registered' });
const DROPPED_SERVER = Object.freeze({ ok: true, delivered: 0, dropped: 'server_not_found' });
const DROPPED_TRANSPORT = Object.freeze({ ok: true, delivered: 0, dropped: 'transport_not_found' });

export class CentralRegistry {
  constructor() {
    /** @type {Map<string, { server: unknown, config: object, deliver: Function }>} */
    this.servers = new Map();
    /** @type {Map<string, { transport: unknown, config: object, deliver: Function }>} */
    this.transports = new Map();
    /** @type {Map<string, string>} transport id -> server id */
    this.bindings = new Map();
  }

  registerServer(id, server, config = {}) {
    if (this.servers.has(id)) return ALREADY;
    const deliver = typeof server === 'function' ? server : server.deliver.bind(server);
    this.servers.set(id, { server, config, deliver });
    return OK;
  }

  registerTransport(id, transport, config = {}) {
    if (this.transports.has(id)) return ALREADY;
    const deliver = typeof transport === 'function' ? transport : transport.deliver.bind(transport);
    this.transports.set(id, { transport, config, deliver });
    if (config.serverId !== undefined) this.bindings.set(id, config.serverId);
    return OK;
  }

  routeToServer(serverId, transportId, message) {
    const rec = this.servers.get(serverId);
    if (rec === undefined) return DROPPED_SERVER;
    rec.deliver({ type: 'mcp_message', transportId, message });
    return DELIVERED_ONE;
  }

  routeToTransport(transportId, serverId, message) {
    const rec = this.transports.get(transportId);
    if (rec === undefined) return DROPPED_TRANSPORT;
    rec.deliver({ type: 'mcp_response', serverId, message });
    return DELIVERED_ONE;
  }
}
