import { describe, expect, it } from 'vitest';
import { ErlmcpError } from '../../src/core/errors.js';
import {
  MAX_EXPRESSIONS,
  MAX_TEMPLATE_LENGTH,
  MAX_URI_LENGTH,
  UriTemplate,
  type UriTemplateVariables,
} from '../../src/mcp/uri-template.js';

// RFC 6570 section 3.2's variables.
const RFC_VARS: UriTemplateVariables = {
  count: ['one', 'two', 'three'],
  dom: ['example', 'com'],
  dub: 'me/too',
  hello: 'Hello World!',
  half: '50%',
  var: 'value',
  who: 'fred',
  base: 'http://example.com/home/',
  path: '/foo/bar',
  list: ['red', 'green', 'blue'],
  keys: { semi: ';', dot: '.', comma: ',' },
  v: '6',
  x: '1024',
  y: '768',
  empty: '',
  empty_keys: {},
  undef: undefined,
};

// RFC 6570 section 3.2.1-3.2.9, every row.
const RFC_SECTION_3: [string, string][] = [
  // 3.2.1 variable expansion
  ['{count}', 'one,two,three'],
  ['{count*}', 'one,two,three'],
  ['{/count}', '/one,two,three'],
  ['{/count*}', '/one/two/three'],
  ['{;count}', ';count=one,two,three'],
  ['{;count*}', ';count=one;count=two;count=three'],
  ['{?count}', '?count=one,two,three'],
  ['{?count*}', '?count=one&count=two&count=three'],
  ['{&count*}', '&count=one&count=two&count=three'],
  // 3.2.2 simple string expansion
  ['{var}', 'value'],
  ['{hello}', 'Hello%20World%21'],
  ['{half}', '50%25'],
  ['O{empty}X', 'OX'],
  ['O{undef}X', 'OX'],
  ['{x,y}', '1024,768'],
  ['{x,hello,y}', '1024,Hello%20World%21,768'],
  ['?{x,empty}', '?1024,'],
  ['?{x,undef}', '?1024'],
  ['?{undef,y}', '?768'],
  ['{var:3}', 'val'],
  ['{var:30}', 'value'],
  ['{list}', 'red,green,blue'],
  ['{list*}', 'red,green,blue'],
  ['{keys}', 'semi,%3B,dot,.,comma,%2C'],
  ['{keys*}', 'semi=%3B,dot=.,comma=%2C'],
  // 3.2.3 reserved expansion
  ['{+var}', 'value'],
  ['{+hello}', 'Hello%20World!'],
  ['{+half}', '50%25'],
  ['{base}index', 'http%3A%2F%2Fexample.com%2Fhome%2Findex'],
  ['{+base}index', 'http://example.com/home/index'],
  ['O{+empty}X', 'OX'],
  ['O{+undef}X', 'OX'],
  ['{+path}/here', '/foo/bar/here'],
  ['here?ref={+path}', 'here?ref=/foo/bar'],
  ['up{+path}{var}/here', 'up/foo/barvalue/here'],
  ['{+x,hello,y}', '1024,Hello%20World!,768'],
  ['{+path,x}/here', '/foo/bar,1024/here'],
  ['{+path:6}/here', '/foo/b/here'],
  ['{+list}', 'red,green,blue'],
  ['{+list*}', 'red,green,blue'],
  ['{+keys}', 'semi,;,dot,.,comma,,'],
  ['{+keys*}', 'semi=;,dot=.,comma=,'],
  // 3.2.4 fragment expansion
  ['{#var}', '#value'],
  ['{#hello}', '#Hello%20World!'],
  ['{#half}', '#50%25'],
  ['foo{#empty}', 'foo#'],
  ['foo{#undef}', 'foo'],
  ['{#x,hello,y}', '#1024,Hello%20World!,768'],
  ['{#path,x}/here', '#/foo/bar,1024/here'],
  ['{#path:6}/here', '#/foo/b/here'],
  ['{#list}', '#red,green,blue'],
  ['{#list*}', '#red,green,blue'],
  ['{#keys}', '#semi,;,dot,.,comma,,'],
  ['{#keys*}', '#semi=;,dot=.,comma=,'],
  // 3.2.5 label expansion
  ['{.who}', '.fred'],
  ['{.who,who}', '.fred.fred'],
  ['{.half,who}', '.50%25.fred'],
  ['www{.dom*}', 'www.example.com'],
  ['X{.var}', 'X.value'],
  ['X{.empty}', 'X.'],
  ['X{.undef}', 'X'],
  ['X{.var:3}', 'X.val'],
  ['X{.list}', 'X.red,green,blue'],
  ['X{.list*}', 'X.red.green.blue'],
  ['X{.keys}', 'X.semi,%3B,dot,.,comma,%2C'],
  ['X{.keys*}', 'X.semi=%3B.dot=..comma=%2C'],
  ['X{.empty_keys}', 'X'],
  ['X{.empty_keys*}', 'X'],
  // 3.2.6 path segment expansion
  ['{/who}', '/fred'],
  ['{/who,who}', '/fred/fred'],
  ['{/half,who}', '/50%25/fred'],
  ['{/who,dub}', '/fred/me%2Ftoo'],
  ['{/var}', '/value'],
  ['{/var,empty}', '/value/'],
  ['{/var,undef}', '/value'],
  ['{/var,x}/here', '/value/1024/here'],
  ['{/var:1,var}', '/v/value'],
  ['{/list}', '/red,green,blue'],
  ['{/list*}', '/red/green/blue'],
  ['{/list*,path:4}', '/red/green/blue/%2Ffoo'],
  ['{/keys}', '/semi,%3B,dot,.,comma,%2C'],
  ['{/keys*}', '/semi=%3B/dot=./comma=%2C'],
  // 3.2.7 path-style parameter expansion
  ['{;who}', ';who=fred'],
  ['{;half}', ';half=50%25'],
  ['{;empty}', ';empty'],
  ['{;v,empty,who}', ';v=6;empty;who=fred'],
  ['{;v,bar,who}', ';v=6;who=fred'],
  ['{;x,y}', ';x=1024;y=768'],
  ['{;x,y,empty}', ';x=1024;y=768;empty'],
  ['{;x,y,undef}', ';x=1024;y=768'],
  ['{;hello:5}', ';hello=Hello'],
  ['{;list}', ';list=red,green,blue'],
  ['{;list*}', ';list=red;list=green;list=blue'],
  ['{;keys}', ';keys=semi,%3B,dot,.,comma,%2C'],
  ['{;keys*}', ';semi=%3B;dot=.;comma=%2C'],
  // 3.2.8 form-style query expansion
  ['{?who}', '?who=fred'],
  ['{?half}', '?half=50%25'],
  ['{?x,y}', '?x=1024&y=768'],
  ['{?x,y,empty}', '?x=1024&y=768&empty='],
  ['{?x,y,undef}', '?x=1024&y=768'],
  ['{?var:3}', '?var=val'],
  ['{?list}', '?list=red,green,blue'],
  ['{?list*}', '?list=red&list=green&list=blue'],
  ['{?keys}', '?keys=semi,%3B,dot,.,comma,%2C'],
  ['{?keys*}', '?semi=%3B&dot=.&comma=%2C'],
  // 3.2.9 form-style query continuation
  ['{&who}', '&who=fred'],
  ['{&half}', '&half=50%25'],
  ['?fixed=yes{&x}', '?fixed=yes&x=1024'],
  ['{&x,y,empty}', '&x=1024&y=768&empty='],
  ['{&var:3}', '&var=val'],
  ['{&list}', '&list=red,green,blue'],
  ['{&list*}', '&list=red&list=green&list=blue'],
  ['{&keys}', '&keys=semi,%3B,dot,.,comma,%2C'],
  ['{&keys*}', '&semi=%3B&dot=.&comma=%2C'],
];

// RFC 6570 section 1.2, by level (rows not already in section 3's tables).
const RFC_SECTION_1_2: [string, string][] = [
  ['map?{x,y}', 'map?1024,768'],
  ['X{#var}', 'X#value'],
  ['X{#hello}', 'X#Hello%20World!'],
  ['X{.x,y}', 'X.1024.768'],
];

function expand(template: string, vars: UriTemplateVariables = RFC_VARS): string {
  return new UriTemplate(template).expand(vars);
}

function parseError(template: string): ErlmcpError {
  try {
    new UriTemplate(template);
  } catch (err) {
    expect(err).toBeInstanceOf(ErlmcpError);
    expect((err as ErlmcpError).code).toBe('ERR_INVALID_ARG');
    return err as ErlmcpError;
  }
  throw new Error(`expected ${JSON.stringify(template)} to be rejected`);
}

describe('UriTemplate.expand', () => {
  it.each(RFC_SECTION_3)('RFC 6570 section 3.2: %s -> %s', (template, expected) => {
    expect(expand(template)).toBe(expected);
  });

  it.each(RFC_SECTION_1_2)('RFC 6570 section 1.2: %s -> %s', (template, expected) => {
    expect(expand(template)).toBe(expected);
  });

  it('encodes non-ASCII as UTF-8 and keeps the prefix in code points', () => {
    expect(expand('{x}', { x: 'é€😀' })).toBe('%C3%A9%E2%82%AC%F0%9F%98%80');
    expect(expand('{x:2}', { x: 'é😀z' })).toBe('%C3%A9%F0%9F%98%80');
  });

  it('does not split a pct-encoded triplet with a prefix under reserved expansion', () => {
    expect(expand('{+x:2}', { x: '%20ab' })).toBe('%20a');
    // ...while the simple operator encodes '%' itself.
    expect(expand('{x:2}', { x: '%20ab' })).toBe('%252');
  });

  it('encodes literal characters a URI may not contain', () => {
    expect(expand('a b"c<{x}>', { x: 'v' })).toBe('a%20b%22c%3Cv%3E');
    expect(expand('100%25 and 50%', {})).toBe('100%25%20and%2050%25');
  });

  it('stringifies numbers and booleans', () => {
    expect(expand('{?limit,all}', { limit: 10, all: false })).toBe('?limit=10&all=false');
  });

  it('skips null list members and map members', () => {
    const vars = { l: ['a', null, 'b'], m: { a: '1', b: undefined } } as unknown as UriTemplateVariables;
    expect(expand('{l}{/m*}', vars)).toBe('a,b/a=1');
  });

  it('writes "=" after an empty map member under non-named operators only', () => {
    expect(expand('{/m*}', { m: { a: '' } })).toBe('/a=');
    expect(expand('{;m*}', { m: { a: '' } })).toBe(';a');
    expect(expand('{?m*}', { m: { a: '' } })).toBe('?a=');
  });

  it('only reads own properties of the variables object', () => {
    expect(expand('x{constructor}y{toString}', {})).toBe('xy');
  });

  it('is reusable and deterministic', () => {
    const t = new UriTemplate('users://{id}/profile');
    expect(t.expand({ id: 'a' })).toBe('users://a/profile');
    expect(t.expand({ id: 'b c' })).toBe('users://b%20c/profile');
  });

  it('refuses a prefix modifier on a list or map', () => {
    expect(() => expand('{list:3}')).toThrow(/does not apply to a list or map/);
    expect(() => expand('{keys:1}')).toThrow(ErlmcpError);
  });

  it('refuses values of other types', () => {
    const vars = { x: () => 1 } as unknown as UriTemplateVariables;
    expect(() => expand('{x}', vars)).toThrow(/must be a string, number, boolean, list or map/);
  });

  it('refuses a lone surrogate', () => {
    expect(() => expand('{x}', { x: 'a\ud800b' })).toThrow(/not well-formed Unicode/);
  });
});

describe('UriTemplate parsing', () => {
  it('exposes variable names once each, in order, and the source', () => {
    const t = new UriTemplate('{/who,dub}{?x,who}{&list*}');
    expect(t.variableNames).toEqual(['who', 'dub', 'x', 'list']);
    expect(t.toString()).toBe('{/who,dub}{?x,who}{&list*}');
    expect(String(t)).toBe('{/who,dub}{?x,who}{&list*}');
    expect(new UriTemplate('file:///static').variableNames).toEqual([]);
  });

  it('accepts dotted and pct-encoded variable names', () => {
    expect(new UriTemplate('{a.b,%41c,_x}').variableNames).toEqual(['a.b', '%41c', '_x']);
    expect(new UriTemplate('{a.b}').expand({ 'a.b': 'v' })).toBe('v');
  });

  it.each([
    ['abc{def', "unclosed '{' at position 3"],
    ['abc}def', "unmatched '}' at position 3"],
    ['a{b{c}}', "unexpected '{' inside an expression at position 3"],
    ['x{}', 'empty expression at position 1'],
    ['{=x}', "reserved operator '=' at position 1"],
    ['{!x}', "reserved operator '!' at position 1"],
    ['{@x}', "reserved operator '@' at position 1"],
    ['{|x}', "reserved operator '|' at position 1"],
    ['{,x}', "reserved operator ',' at position 1"],
    ['{x,,y}', 'missing variable name at position 3'],
    ['{x,}', 'missing variable name at position 3'],
    ['{?a,b-c}', "invalid variable name 'b-c' at position 4"],
    ['{a..b}', "invalid variable name 'a..b' at position 1"],
    ['{.a.}', "invalid variable name 'a.' at position 2"],
    ['{a%2}', "invalid variable name 'a%2' at position 1"],
    ['{a b}', "invalid variable name 'a b' at position 1"],
    ['{x:0}', "invalid prefix modifier ':0' (must be 1..9999) at position 2"],
    ['{x:10000}', "invalid prefix modifier ':10000'"],
    ['{x:}', "invalid prefix modifier ':'"],
    ['{x:3*}', "invalid prefix modifier ':3*'"],
    ['{x*:3}', "invalid modifier '*:3' at position 2"],
    ['{x**}', "invalid modifier '**' at position 2"],
  ])('rejects %s', (template, message) => {
    expect(parseError(template).message).toContain(message);
  });

  it('bounds the template length', () => {
    expect(() => new UriTemplate('a'.repeat(MAX_TEMPLATE_LENGTH))).not.toThrow();
    expect(parseError('a'.repeat(MAX_TEMPLATE_LENGTH + 1)).message).toMatch(/over the limit/);
  });

  it('bounds the number of expressions', () => {
    expect(() => new UriTemplate('{a}/'.repeat(MAX_EXPRESSIONS))).not.toThrow();
    const err = parseError('{a}/'.repeat(MAX_EXPRESSIONS + 1));
    expect(err.message).toContain(`more than ${MAX_EXPRESSIONS} expressions at position ${MAX_EXPRESSIONS * 4}`);
  });

  it('bounds the number of variables', () => {
    const names = Array.from({ length: 300 }, (_, i) => `v${i}`).join(',');
    expect(parseError(`{${names}}`).message).toMatch(/more than 256 variables/);
  });

  it('refuses a non-string template', () => {
    expect(() => new UriTemplate(42 as unknown as string)).toThrow(ErlmcpError);
  });
});

describe('UriTemplate.match', () => {
  it('matches MCP style templates', () => {
    expect(new UriTemplate('users://{id}/profile').match('users://42/profile')).toEqual({ id: '42' });
    expect(new UriTemplate('file:///{path}').match('file:///notes.txt')).toEqual({ path: 'notes.txt' });
    expect(new UriTemplate('file:///{path}').match('file:///a%2Fb%20c.txt')).toEqual({ path: 'a/b c.txt' });
    expect(new UriTemplate('file:///{+path}').match('file:///home/ada/notes.txt')).toEqual({
      path: 'home/ada/notes.txt',
    });
    expect(new UriTemplate('repo://{owner}/{repo}/issues/{n}').match('repo://acme/widgets/issues/7')).toEqual({
      owner: 'acme',
      repo: 'widgets',
      n: '7',
    });
  });

  it('rejects URIs that do not match exactly', () => {
    const t = new UriTemplate('users://{id}/profile');
    for (const uri of [
      'users://42/profile/',
      'users://42/profile?x=1',
      'xusers://42/profile',
      'users://42/profil',
      'users://4/2/profile',
      'users://a b/profile',
      'USERS://42/profile',
      '',
    ]) {
      expect(t.match(uri), uri).toBeNull();
    }
    // Unescaped reserved characters are not what {id} expands to.
    expect(new UriTemplate('file:///{path}').match('file:///a/b.txt')).toBeNull();
    expect(new UriTemplate('x{y}').match('x!')).toBeNull();
    // Literals are compared exactly (no RegExp metacharacters leak through).
    expect(new UriTemplate('a.b({x})').match('a.b(1)')).toEqual({ x: '1' });
    expect(new UriTemplate('a.b({x})').match('aXb(1)')).toBeNull();
  });

  it('matches query parameters in any order, each optional', () => {
    const t = new UriTemplate('search://{?q,limit}');
    expect(t.match('search://?q=hello%20world&limit=10')).toEqual({ q: 'hello world', limit: '10' });
    expect(t.match('search://?limit=10&q=x')).toEqual({ q: 'x', limit: '10' });
    expect(t.match('search://?limit=5')).toEqual({ limit: '5' });
    expect(t.match('search://')).toEqual({});
    expect(t.match('search://?q=')).toEqual({ q: '' });
  });

  it('rejects unknown, repeated or malformed query parameters', () => {
    const t = new UriTemplate('search://{?q,limit}');
    for (const uri of [
      'search://?other=1',
      'search://?q=a&other=1',
      'search://?q=a&q=b',
      'search://?q',
      'search://?',
      'search://?q=a&',
      'search://&q=a',
      'search://?q=a?limit=1',
      'search://?q=a=b',
      'search://?q=a#frag',
    ]) {
      expect(t.match(uri), uri).toBeNull();
    }
  });

  it('collects exploded query parameters into arrays', () => {
    const t = new UriTemplate('tags://{?tag*,sort}');
    expect(t.match('tags://?tag=a&sort=up&tag=b')).toEqual({ tag: ['a', 'b'], sort: 'up' });
    expect(t.match('tags://?tag=only')).toEqual({ tag: ['only'] });
  });

  it('matches a query continuation after a literal query', () => {
    const t = new UriTemplate('list://items?fixed=yes{&page,size}');
    expect(t.match('list://items?fixed=yes&size=10&page=2')).toEqual({ page: '2', size: '10' });
    expect(t.match('list://items?fixed=yes')).toEqual({});
    expect(t.match('list://items?fixed=no&page=2')).toBeNull();
  });

  it('matches a {?..} expression followed by {&..} as one set of parameters', () => {
    const t = new UriTemplate('x{?a}{&b}');
    expect(t.match('x?a=1&b=2')).toEqual({ a: '1', b: '2' });
    expect(t.match('x?b=2&a=1')).toEqual({ a: '1', b: '2' });
  });

  it('matches path-style parameters', () => {
    const t = new UriTemplate('map{;x,y,empty}');
    expect(t.match('map;x=1024;y=768;empty')).toEqual({ x: '1024', y: '768', empty: '' });
    expect(t.match('map;y=768')).toEqual({ y: '768' });
    expect(t.match('map;empty=')).toBeNull();
    expect(t.match('map;z=1')).toBeNull();
  });

  it('matches path segments, labels and fragments', () => {
    expect(new UriTemplate('{/a,b}/here').match('/x/y/here')).toEqual({ a: 'x', b: 'y' });
    expect(new UriTemplate('{/a,b}/here').match('/x/here')).toEqual({ a: 'x' });
    expect(new UriTemplate('file:///{name}.{ext}').match('file:///report.tar.gz')).toEqual({
      name: 'report',
      ext: 'tar.gz',
    });
    expect(new UriTemplate('file:///{name}.txt').match('file:///my.notes.txt')).toEqual({ name: 'my.notes' });
    expect(new UriTemplate('doc://{id}{#section}').match('doc://7#intro/part%201')).toEqual({
      id: '7',
      section: 'intro/part 1',
    });
    expect(new UriTemplate('pkg://{name}-v{version}').match('pkg://my-pkg-v1.2')).toEqual({
      name: 'my-pkg',
      version: '1.2',
    });
  });

  it('treats an optional expression as absent when what follows it starts there', () => {
    const t = new UriTemplate('X{.a}.txt');
    expect(t.match('X.txt')).toEqual({});
    expect(t.match('X.v.txt')).toEqual({ a: 'v' });
    expect(t.match('X..txt')).toEqual({ a: '' });
    expect(new UriTemplate('{.a,b}.txt').match('.x.txt')).toEqual({ a: 'x' });
  });

  it('splits exploded lists on the operator separator', () => {
    expect(new UriTemplate('{/list*}').match('/red/green/blue')).toEqual({ list: ['red', 'green', 'blue'] });
    expect(new UriTemplate('www{.dom*}').match('www.example.com')).toEqual({ dom: ['example', 'com'] });
    expect(new UriTemplate('{list*}').match('red,green%20x')).toEqual({ list: ['red', 'green x'] });
    expect(new UriTemplate('{;list*}').match(';list=red;list=green')).toEqual({ list: ['red', 'green'] });
    expect(new UriTemplate('{/list*,path:4}').match('/red/green/blue/%2Ffoo')).toEqual({
      list: ['red', 'green', 'blue'],
      path: '/foo',
    });
    // An exploded map under a non-named operator comes back as its key=value members.
    expect(new UriTemplate('{/keys*}').match('/semi=%3B/dot=.')).toEqual({ keys: ['semi=;', 'dot=.'] });
  });

  it('honours prefix lengths', () => {
    expect(new UriTemplate('{x:2}{y}').match('abcd')).toEqual({ x: 'ab', y: 'cd' });
    expect(new UriTemplate('{x:2}').match('abc')).toBeNull();
    expect(new UriTemplate('{x:2}').match('%C3%A9%F0%9F%98%80')).toEqual({ x: 'é😀' });
    expect(new UriTemplate('{?q:3}').match('?q=abcd')).toBeNull();
    expect(new UriTemplate('{?q:3}').match('?q=abc')).toEqual({ q: 'abc' });
    expect(new UriTemplate('{/list*,p:2}').match('/a/bcd')).toBeNull();
  });

  it('requires a repeated variable to have one value', () => {
    const t = new UriTemplate('{/who,who}');
    expect(t.match('/fred/fred')).toEqual({ who: 'fred' });
    expect(t.match('/fred/barney')).toBeNull();
    // A prefix occurrence only has to be a prefix of the whole value, in either order.
    expect(new UriTemplate('{/var:1,var}').match('/v/value')).toEqual({ var: 'value' });
    expect(new UriTemplate('{/var:1,var}').match('/x/value')).toBeNull();
    expect(new UriTemplate('{/var,var:2}').match('/value/va')).toEqual({ var: 'value' });
    expect(new UriTemplate('{/var,var:2}').match('/value/xa')).toBeNull();
    expect(new UriTemplate('{/l*}{?l*}').match('/a/b?l=a&l=b')).toEqual({ l: ['a', 'b'] });
    expect(new UriTemplate('{/l*}{?l*}').match('/a/b?l=a')).toBeNull();
  });

  it('rejects malformed percent-encoding', () => {
    const t = new UriTemplate('x/{y}');
    expect(t.match('x/%C3')).toBeNull();
    expect(t.match('x/%zz')).toBeNull();
    expect(t.match('x/%FF')).toBeNull();
  });

  it('omits variables whose expression expanded to nothing', () => {
    expect(new UriTemplate('users://{id}/profile').match('users:///profile')).toEqual({});
    expect(new UriTemplate('{/id}/x').match('//x')).toEqual({ id: '' });
  });

  it('ignores URIs over the length limit', () => {
    const t = new UriTemplate('x/{+rest}');
    expect(t.match(`x/${'a'.repeat(MAX_URI_LENGTH - 2)}`)).toEqual({ rest: 'a'.repeat(MAX_URI_LENGTH - 2) });
    expect(t.match(`x/${'a'.repeat(MAX_URI_LENGTH)}`)).toBeNull();
    expect(t.match(42 as unknown as string)).toBeNull();
  });
});

describe('UriTemplate round trips', () => {
  const cases: [string, UriTemplateVariables][] = [
    ['file:///{path}', { path: 'dir/file name.txt' }],
    ['file:///{+path}', { path: 'dir/sub/file.txt' }],
    ['users://{id}/profile', { id: 'ada lovelace@example.com' }],
    ['search://{?q,limit}', { q: 'a&b=c,d', limit: '10' }],
    ['search://{?q,limit}', { limit: '3' }],
    ['{/a,b,c}', { a: 'x', b: 'y', c: 'z%' }],
    ['{/list*}', { list: ['a b', 'c/d', 'é'] }],
    ['{?list*}', { list: ['1', '2'] }],
    ['{;list*}', { list: ['x', 'y'] }],
    ['X{.a,b}', { a: 'one', b: 'two' }],
    ['{#frag}', { frag: 'a/b?c' }],
    ['{x:3}{y}', { x: 'abc', y: 'def' }],
    ['mail://{user}/{folder}{?page,unread}', { user: 'u1', folder: 'Inbox', page: '2', unread: 'true' }],
    ['emoji://{e}', { e: '😀 ✓' }],
  ];

  it.each(cases)('%s', (template, vars) => {
    const t = new UriTemplate(template);
    const uri = t.expand(vars);
    const defined = Object.fromEntries(Object.entries(vars).filter(([, v]) => v !== undefined));
    expect(t.match(uri)).toEqual(defined);
  });

  it('round trips every RFC section 3.2 row whose values the URI can carry unambiguously', () => {
    const rows: [string, UriTemplateVariables][] = [
      ['{var}', { var: 'value' }],
      ['{hello}', { hello: 'Hello World!' }],
      ['{half}', { half: '50%' }],
      ['{x,hello,y}', { x: '1024', hello: 'Hello World!', y: '768' }],
      ['{+base}index', { base: 'http://example.com/home/' }],
      ['{/var:1,var}', { var: 'value' }],
      ['{?x,y,empty}', { x: '1024', y: '768', empty: '' }],
      ['{;v,empty,who}', { v: '6', empty: '', who: 'fred' }],
      ['?fixed=yes{&x}', { x: '1024' }],
    ];
    for (const [template, vars] of rows) {
      const t = new UriTemplate(template);
      const uri = t.expand(vars);
      expect(t.match(uri), template).toEqual(vars);
    }
  });
});

describe('UriTemplate.match is not vulnerable to catastrophic backtracking', () => {
  // Each of these would take exponential or high-polynomial time in a naive backtracking
  // matcher on a near-miss input; they must simply complete (the assertions are on results).
  it('adjacent simple expressions separated by a literal that values may contain', () => {
    const t = new UriTemplate(Array.from({ length: 50 }, (_, i) => `{v${i}}`).join('-'));
    const evil = `${'a-'.repeat(5000)}!`;
    expect(t.match(evil)).toBeNull();
  });

  it('optional label expressions in a row', () => {
    const t = new UriTemplate(`x${Array.from({ length: 100 }, (_, i) => `{.v${i}}`).join('')}`);
    expect(t.match(`x${'.a'.repeat(4000)}!`)).toBeNull();
  });

  it('reserved expansions separated by a repeated literal', () => {
    const t = new UriTemplate(`x${Array.from({ length: 40 }, (_, i) => `{+v${i}}y`).join('')}z`);
    expect(t.match(`x${'y'.repeat(MAX_URI_LENGTH - 2)}`)).toBeNull();
  });

  it('query parameters', () => {
    const names = Array.from({ length: 100 }, (_, i) => `p${i}`);
    const t = new UriTemplate(`q://{?${names.join(',')}}`);
    expect(t.match(`q://?${'p1=a&'.repeat(3000)}`)).toBeNull();
  });

  it('exploded lists and long literals', () => {
    const lit = 'ab'.repeat(8);
    const t = new UriTemplate(`{/a*}${lit}{/b*}${lit}!`);
    expect(t.match(`/${'ab'.repeat(8000)}`)).toBeNull();
  });
});
