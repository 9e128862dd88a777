import { describe, expect, it } from 'vitest';
import { ResultShaper } from '../../src/mcp/era/results.js';
import { DressedResult, encodeMessage, RawResult } from '../../src/mcp/jsonrpc.js';

const members = {
  resultType: 'complete',
  _meta: { 'io.modelcontextprotocol/serverInfo': { name: 's', version: '1' } },
};
const dressed = (base: Record<string, unknown>) =>
  new DressedResult(base, JSON.stringify(members).slice(1, -1), members);

describe('encodeMessage', () => {
  it('splices a RawResult as serialized', () => {
    const raw = new RawResult({ tools: [{ name: 'a' }] });
    expect(JSON.parse(encodeMessage({ jsonrpc: '2.0', id: 7, result: raw as never }))).toEqual({
      jsonrpc: '2.0',
      id: 7,
      result: { tools: [{ name: 'a' }] },
    });
  });

  it('adds the members of a DressedResult to the handler result, once', () => {
    const text = encodeMessage({
      jsonrpc: '2.0',
      id: 'x',
      result: dressed({ content: [{ type: 'text', text: 'hi' }] }) as never,
    });
    expect(JSON.parse(text)).toEqual({
      jsonrpc: '2.0',
      id: 'x',
      result: { content: [{ type: 'text', text: 'hi' }], ...members },
    });
    expect(text.match(/resultType/g)).toHaveLength(1);
  });

  it('dresses an empty result without a stray comma', () => {
    expect(JSON.parse(encodeMessage({ jsonrpc: '2.0', id: 1, result: dressed({}) as never })).result).toEqual(members);
  });

  it('ResultShaper dresses plain results and copies anything else', () => {
    const shaper = new ResultShaper({ name: 's', version: '1' });
    const plain = shaper.stateless({ content: [] });
    expect(plain).toBeInstanceOf(DressedResult);
    expect((plain as DressedResult).value).toEqual({ content: [], ...members });
    class Reply {
      content = [];
      toJSON() {
        return { content: ['from toJSON'] };
      }
    }
    const copied = shaper.stateless(new Reply()) as Record<string, unknown>;
    expect(copied).not.toBeInstanceOf(DressedResult);
    expect(copied).toEqual({ content: [], ...members });
    const own = shaper.stateless({ resultType: 'complete', _meta: { k: 1 } }) as Record<string, unknown>;
    expect(own).toEqual({ resultType: 'complete', _meta: { k: 1, ...members._meta } });
  });

  it('gives whole-message serializers (JSON.stringify) and inspectors the same result', () => {
    const r = dressed({ a: 1 });
    expect(r.value).toEqual({ a: 1, ...members });
    expect(JSON.parse(JSON.stringify({ result: r })).result).toEqual({ a: 1, ...members });
  });
});
