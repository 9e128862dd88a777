import { describe, expect, it } from 'vitest';
import { type SseEvent, SseParser } from '../../src/transports/sse-parser.js';

function parse(chunks: string[]): { events: SseEvent[]; retries: number[] } {
  const events: SseEvent[] = [];
  const retries: number[] = [];
  const p = new SseParser((e) => events.push(e));
  p.onretry = (ms) => retries.push(ms);
  for (const c of chunks) p.feed(c);
  p.end();
  return { events, retries };
}

describe('SseParser', () => {
  it('parses events with type, id and multi-line data', () => {
    const { events } = parse(['event: message\nid: 7\ndata: {"a":1}\n\ndata: one\ndata: two\n\n']);
    expect(events).toEqual([
      { event: 'message', data: '{"a":1}', id: '7' },
      { event: 'message', data: 'one\ntwo', id: '7' },
    ]);
  });

  it('handles every split point of a stream, with LF, CRLF and CR line endings', () => {
    for (const eol of ['\n', '\r\n', '\r']) {
      const text = `: keep-alive${eol}${eol}event: message${eol}data: {"x":"y"}${eol}${eol}event: other${eol}data:z${eol}${eol}`;
      for (let i = 0; i <= text.length; i++) {
        const { events } = parse([text.slice(0, i), text.slice(i)]);
        expect(events, `eol ${JSON.stringify(eol)} split ${i}`).toEqual([
          { event: 'message', data: '{"x":"y"}', id: undefined },
          { event: 'other', data: 'z', id: undefined },
        ]);
      }
    }
  });

  it('skips comments and events without data, keeps the last id, reports retry', () => {
    const { events, retries } = parse([': ping\n\nid: 42\ndata:\n\nid: 43\n\nretry: 1500\nretry: x\ndata: after\n\n']);
    expect(events).toEqual([
      { event: 'message', data: '', id: '42' },
      { event: 'message', data: 'after', id: '43' },
    ]);
    expect(retries).toEqual([1500]);
  });

  it('strips a leading BOM, removes only one space after the colon, ignores unknown fields', () => {
    const { events } = parse(['\uFEFFdata:  two spaces\nfoo: bar\nevent\ndata\n\n']);
    expect(events).toEqual([{ event: 'message', data: ' two spaces\n', id: undefined }]);
  });

  it('discards an event without its closing blank line at the end of the stream', () => {
    expect(parse(['data: complete\n\ndata: partial\n']).events).toHaveLength(1);
  });

  it('parses one character at a time', () => {
    const text = 'event: message\r\ndata: {"k":[1,2]}\r\n\r\n';
    expect(parse([...text]).events).toEqual([{ event: 'message', data: '{"k":[1,2]}', id: undefined }]);
  });
});
