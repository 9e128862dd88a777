/**
 * Source addresses for client sockets. One source address can hold one connection per
 * ephemeral port towards a given server address and port, so past that count (about 28,000 on
 * Linux) the harness spreads its sockets over more loopback addresses: on Linux all of
 * 127.0.0.0/8 is local, so 127.0.0.2, 127.0.0.3, ... work without configuration.
 */
import fs from 'node:fs';

/** Ephemeral ports per source address when /proc/sys/net/ipv4/ip_local_port_range is unreadable. */
export const FALLBACK_PORTS_PER_SOURCE = 28_000;

/**
 * Share of a source's ports the harness plans to use: sockets of earlier runs linger in
 * TIME_WAIT for a minute and hold their ports.
 */
export const USABLE_PORT_SHARE = 0.9;

/** True for loopback hosts: localhost, 127.0.0.0/8 and ::1. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  return ipv4ToInt(h) !== undefined && h.startsWith('127.');
}

/** Ports in `ip_local_port_range` text ("32768\t60999"), or undefined when it does not parse. */
export function parsePortRange(text: string): number | undefined {
  const [lo, hi] = text.trim().split(/\s+/).map(Number);
  if (lo === undefined || hi === undefined || !Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo) {
    return undefined;
  }
  return hi - lo + 1;
}

/** Ephemeral ports of one source address on this machine (Linux), else {@link FALLBACK_PORTS_PER_SOURCE}. */
export function portsPerSource(): number {
  try {
    return (
      parsePortRange(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')) ?? FALLBACK_PORTS_PER_SOURCE
    );
  } catch {
    return FALLBACK_PORTS_PER_SOURCE;
  }
}

/** Source addresses `sockets` concurrent sockets need when each holds `ports` ports (at least 1). */
export function sourcesNeeded(sockets: number, ports: number): number {
  const usable = Math.max(1, Math.floor(ports * USABLE_PORT_SHARE));
  return Math.max(1, Math.ceil(sockets / usable));
}

/**
 * `count` IPv4 loopback addresses from 127.0.0.1 upward, skipping addresses ending in .0 and
 * .255 (some stacks treat them as network or broadcast addresses even on loopback).
 */
export function loopbackSources(count: number): string[] {
  const out: string[] = [];
  let n = 0x7f000001;
  while (out.length < count && n < 0x80000000) {
    const last = n & 0xff;
    if (last !== 0 && last !== 0xff) out.push(intToIpv4(n));
    n++;
  }
  return out;
}

/**
 * The source addresses for `sockets` sockets to `hostname`: loopback targets get as many
 * 127.x addresses as the sockets need (`override` forces a count); an IPv6 loopback or a
 * remote target gets none (the kernel picks), since other source addresses are not local there.
 */
export function planSources(hostname: string, sockets: number, ports: number, override?: number): string[] {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const ipv4Loopback =
    h === 'localhost' || h.endsWith('.localhost') || (h.startsWith('127.') && ipv4ToInt(h) !== undefined);
  if (!ipv4Loopback) return [];
  return loopbackSources(override ?? sourcesNeeded(sockets, ports));
}

function ipv4ToInt(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

function intToIpv4(n: number): string {
  return `${(n >>> 24) & 0xff}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}
