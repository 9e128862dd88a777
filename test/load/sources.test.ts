import { describe, expect, it } from 'vitest';
import {
  FALLBACK_PORTS_PER_SOURCE,
  isLoopbackHost,
  loopbackSources,
  parsePortRange,
  planSources,
  portsPerSource,
  sourcesNeeded,
} from '../../src/load/sources.js';

describe('source addresses', () => {
  it('knows loopback hosts', () => {
    for (const h of ['127.0.0.1', '127.5.6.7', 'localhost', 'LOCALHOST', 'app.localhost', '::1', '[::1]']) {
      expect(isLoopbackHost(h), h).toBe(true);
    }
    for (const h of ['10.0.0.1', '128.0.0.1', '127.0.0', '127.0.0.256', 'example.com', '::2', '0.0.0.0']) {
      expect(isLoopbackHost(h), h).toBe(false);
    }
  });

  it('reads the ephemeral port range', () => {
    expect(parsePortRange('32768\t60999\n')).toBe(28_232);
    expect(parsePortRange('1024 65535')).toBe(64_512);
    expect(parsePortRange('garbage')).toBeUndefined();
    expect(parsePortRange('60999 32768')).toBeUndefined();
    const ports = portsPerSource();
    expect(Number.isInteger(ports) && ports > 0).toBe(true);
    expect(FALLBACK_PORTS_PER_SOURCE).toBe(28_000);
  });

  it('needs one source per 90 % of a source port range', () => {
    expect(sourcesNeeded(0, 28_232)).toBe(1);
    expect(sourcesNeeded(1, 28_232)).toBe(1);
    expect(sourcesNeeded(25_408, 28_232)).toBe(1); // floor(28,232 x 0.9) = 25,408
    expect(sourcesNeeded(25_409, 28_232)).toBe(2);
    expect(sourcesNeeded(100_000, 28_232)).toBe(4);
    expect(sourcesNeeded(100_000, 28_000)).toBe(4);
  });

  it('lists loopback addresses from 127.0.0.1, skipping .0 and .255', () => {
    expect(loopbackSources(3)).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3']);
    const many = loopbackSources(300);
    expect(many).toHaveLength(300);
    expect(many[253]).toBe('127.0.0.254');
    expect(many[254]).toBe('127.0.1.1');
    expect(new Set(many).size).toBe(300);
  });

  it('spreads only IPv4 loopback targets, honouring an override', () => {
    expect(planSources('127.0.0.1', 50_000, 28_232)).toEqual(['127.0.0.1', '127.0.0.2']);
    expect(planSources('localhost', 10, 28_232)).toEqual(['127.0.0.1']);
    expect(planSources('127.0.0.1', 10, 28_232, 3)).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3']);
    expect(planSources('::1', 50_000, 28_232)).toEqual([]);
    expect(planSources('example.com', 50_000, 28_232)).toEqual([]);
  });
});
