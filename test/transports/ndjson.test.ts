import { describe, expect, it } from 'vitest';
import { LineReader } from '../../src/transports/ndjson.js';

function collect(max: number) {
  const events: Array<[string, unknown]> = [];
  const reader = new LineReader(max, {
    value: (v) => events.push(['value', v]),
    invalid: (d) => events.push(['invalid', d]),
    oversize: (l) => events.push(['oversize', l]),
  });
  return { reader, events };
}

describe('LineReader', () => {
  it('splits lines across chunk boundaries, one byte at a time', () => {
    const { reader, events } = collect(1024);
    const bytes = Buffer.from('{"a":1}\n{"b":"é"}\r\n\n\r\n[3]\n');
    for (let i = 0; i < bytes.length; i++) reader.push(bytes.subarray(i, i + 1));
    expect(events).toEqual([
      ['value', { a: 1 }],
      ['value', { b: 'é' }],
      ['value', [3]],
    ]);
  });

  it('keeps a partial line until its newline arrives', () => {
    const { reader, events } = collect(1024);
    reader.push(Buffer.from('{"a":'));
    expect(events).toEqual([]);
    reader.push(Buffer.from('1}\n{"b"'));
    expect(events).toEqual([['value', { a: 1 }]]);
    reader.clear();
    reader.push(Buffer.from('{"c":2}\n'));
    expect(events).toEqual([
      ['value', { a: 1 }],
      ['value', { c: 2 }],
    ]);
  });

  it('reports invalid JSON and invalid UTF-8, then continues', () => {
    const { reader, events } = collect(1024);
    reader.push(
      Buffer.concat([Buffer.from('nope\n'), Buffer.from([0x22, 0xc3, 0x28, 0x22, 0x0a]), Buffer.from('1\n')]),
    );
    expect(events.map((e) => e[0])).toEqual(['invalid', 'invalid', 'value']);
    expect(events[1]?.[1]).toBe('invalid UTF-8');
    expect(events[2]).toEqual(['value', 1]);
  });

  it('accepts a line of exactly the limit (plus a "\\r"), refuses one byte more', () => {
    const { reader, events } = collect(10);
    const exact = `"${'x'.repeat(8)}"`; // 10 bytes
    reader.push(Buffer.from(`${exact}\r\n${exact}\n"${'x'.repeat(9)}"\n7\n`));
    expect(events).toEqual([
      ['value', 'x'.repeat(8)],
      ['value', 'x'.repeat(8)],
      ['oversize', 10],
      ['value', 7],
    ]);
  });

  it('discards an oversize line without buffering it, reports it once, serves the next line', () => {
    const { reader, events } = collect(64 * 1024);
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const before = process.memoryUsage().arrayBuffers;
    let peak = 0;
    for (let i = 0; i < 1024; i++) {
      reader.push(chunk); // 64 MiB in all, never a newline
      if (i % 64 === 0) peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
    }
    reader.push(Buffer.from('tail of the long line\n{"next":true}\n'));
    expect(events).toEqual([
      ['oversize', 64 * 1024],
      ['value', { next: true }],
    ]);
    expect(peak).toBeLessThan(8 * 1024 * 1024);
  });
});
