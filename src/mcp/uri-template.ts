/**
 * RFC 6570 URI Templates (levels 1-4), as MCP resource templates use them: `expand` builds a
 * URI from variables, `match` is the inverse that routes `resources/read` to a template.
 *
 * Matching compiles the template once to an anchored RegExp in which every expression is an
 * atomic group (the `(?=(...))\N` idiom: ECMAScript lookaheads never backtrack once they
 * succeed). Inside a group each variable stops at the first place where what follows it in the
 * template could start, so a URI has at most one way to match and the engine never revisits a
 * choice: matching is linear in the URI's length whatever the template, which is what keeps a
 * hostile URI from pinning the event loop. The price is that a few inherently ambiguous
 * templates (`{a}{b}`, `{+path}{/rest}`) match fewer URIs than a backtracking matcher would.
 */

import { ErlmcpError } from '../core/errors.js';

/** A variable's value: a string (numbers and booleans are stringified), a list, or a map. */
export type UriTemplateValue = string | number | boolean | readonly string[] | Readonly<Record<string, string>>;

/** Variables for {@link UriTemplate.expand}; `undefined`/`null` and empty lists/maps are "undefined" (RFC 6570 2.3). */
export type UriTemplateVariables = Readonly<Record<string, UriTemplateValue | null | undefined>>;

/**
 * Variables recovered by {@link UriTemplate.match}: percent-decoded strings, and string arrays
 * for exploded (`*`) variables. Variables absent from the URI are absent from the object.
 */
export type UriTemplateMatch = Record<string, string | string[]>;

/** Longest template accepted (characters): templates come from code, but may come from config. */
export const MAX_TEMPLATE_LENGTH = 64 * 1024;
/** Most expressions (`{...}`) in one template: bounds the size of the compiled RegExp. */
export const MAX_EXPRESSIONS = 100;
/** Most variables over all expressions of one template (same reason). */
export const MAX_VARIABLES = 256;
/** Longest URI {@link UriTemplate.match} looks at; longer URIs do not match. */
export const MAX_URI_LENGTH = 16 * 1024;
/** Largest prefix modifier (`{var:9999}`), from RFC 6570's grammar. */
const MAX_PREFIX = 9999;
/** How much of a following literal a variable's capture looks ahead for (bounds per-character work). */
const STOP_LITERAL_LENGTH = 16;

/** One operator's expansion rules: RFC 6570 Appendix A's table. */
interface Operator {
  readonly char: string;
  readonly first: string;
  readonly sep: string;
  readonly named: boolean;
  readonly ifemp: string;
  /** U+R: reserved characters and pct-encoded triplets pass through unencoded. */
  readonly reserved: boolean;
}

const OPERATORS: Readonly<Record<string, Operator>> = {
  '': { char: '', first: '', sep: ',', named: false, ifemp: '', reserved: false },
  '+': { char: '+', first: '', sep: ',', named: false, ifemp: '', reserved: true },
  '#': { char: '#', first: '#', sep: ',', named: false, ifemp: '', reserved: true },
  '.': { char: '.', first: '.', sep: '.', named: false, ifemp: '', reserved: false },
  '/': { char: '/', first: '/', sep: '/', named: false, ifemp: '', reserved: false },
  ';': { char: ';', first: ';', sep: ';', named: true, ifemp: '', reserved: false },
  '?': { char: '?', first: '?', sep: '&', named: true, ifemp: '=', reserved: false },
  '&': { char: '&', first: '&', sep: '&', named: true, ifemp: '=', reserved: false },
};

/** Operators RFC 6570 reserves for future extensions: a template using them is an error. */
const RESERVED_OPERATORS = '=,!@|';

interface VarSpec {
  readonly name: string;
  readonly explode: boolean;
  /** Prefix length in characters, 0 when there is no `:n` modifier. */
  readonly prefix: number;
}

interface Expression {
  readonly kind: 'expr';
  readonly op: Operator;
  readonly vars: readonly VarSpec[];
}

interface Literal {
  readonly kind: 'lit';
  /** The literal as it appears in expansions (characters not allowed in a URI pct-encoded). */
  readonly encoded: string;
}

type Part = Literal | Expression;

/** What {@link UriTemplate.match} builds while it runs the extractors. */
interface MatchState {
  readonly out: UriTemplateMatch;
  /** Variables so far seen only through a prefix modifier (their value may be truncated). */
  partial: Set<string> | undefined;
}

/** How one atomic group of the compiled RegExp turns back into variables; false: no match. */
type Extractor = (m: RegExpExecArray, state: MatchState) => boolean;

// varchar = ALPHA / DIGIT / "_" / pct-encoded; varname = varchar *( ["."] varchar )
const VARNAME = /^(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})(?:\.?(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2}))*$/;
const PREFIX = /^[1-9][0-9]{0,3}$/;
const ALL_UNRESERVED = /^[A-Za-z0-9\-._~]*$/;
const RESERVED_CHARS = ":/?#[]@!$&'()*+,;=";

/** Per ASCII code: 1 unreserved, 2 reserved, 0 anything else (RFC 3986 2.2, 2.3). */
const ASCII_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9\-._~]/.test(ch)) ASCII_CLASS[c] = 1;
  else if (RESERVED_CHARS.includes(ch)) ASCII_CLASS[c] = 2;
}
const PCT_ASCII: readonly string[] = Array.from(
  { length: 128 },
  (_, c) => `%${c.toString(16).toUpperCase().padStart(2, '0')}`,
);

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

function templateError(message: string, position: number): ErlmcpError {
  return new ErlmcpError('ERR_INVALID_ARG', `Invalid URI template: ${message} at position ${position}`);
}

/**
 * Pct-encodes `s` for an expansion: unreserved characters pass, and with `reserved` (the `+`
 * and `#` operators, and literals) reserved characters and existing pct-encoded triplets too.
 */
function encode(s: string, reserved: boolean): string {
  if (ALL_UNRESERVED.test(s)) return s;
  let out = '';
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 128) {
      const cls = ASCII_CLASS[c];
      if (cls === 1 || (reserved && cls === 2)) out += s[i];
      else if (reserved && c === 37 && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
        out += s.slice(i, i + 3);
        i += 2;
      } else out += PCT_ASCII[c];
      continue;
    }
    const end = c >= 0xd800 && c <= 0xdbff && i + 1 < n ? i + 2 : i + 1;
    try {
      out += encodeURIComponent(s.slice(i, end));
    } catch (err) {
      throw new ErlmcpError('ERR_INVALID_ARG', `URI template value is not well-formed Unicode: ${JSON.stringify(s)}`, {
        cause: err,
      });
    }
    i = end - 1;
  }
  return out;
}

/**
 * The first `max` characters (code points) of `s`. With `reserved`, a pct-encoded triplet
 * counts as one character and is never split (RFC 6570 3.2.1).
 */
function truncate(s: string, max: number, reserved: boolean): string {
  let count = 0;
  let i = 0;
  const n = s.length;
  while (i < n && count < max) {
    const c = s.charCodeAt(i);
    if (reserved && c === 37 && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) i += 3;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) i += 2;
    else i += 1;
    count++;
  }
  return s.slice(0, i);
}

/** Decodes a captured value; undefined when it is not valid pct-encoded UTF-8. */
function decode(s: string): string | undefined {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/** Escapes characters for use inside a RegExp character class. */
function escapeClass(s: string): string {
  return s.replace(/[\\\]^[-]/g, '\\$&');
}

const PCT = '%[0-9A-Fa-f]{2}';
const CONT = '%[89ABab][0-9A-Fa-f]';
/** One character (code point) of a value, pct-encoded as UTF-8: for bounded prefix captures. */
const PCT_CODE_POINT = `%[0-7][0-9A-Fa-f]|%[CDcd][0-9A-Fa-f]${CONT}|%[Ee][0-9A-Fa-f](?:${CONT}){2}|%[Ff][0-7](?:${CONT}){3}`;

/** Characters a value may contain in an expansion, besides ASCII letters and digits. */
function valueChars(op: Operator): string {
  // Lists and maps join with ',' even under operators whose separator is something else.
  return op.reserved ? `-._~${RESERVED_CHARS}` : '-._~,';
}

function without(chars: string, remove: string): string {
  let out = '';
  for (const ch of chars) if (!remove.includes(ch)) out += ch;
  return out;
}

/** `(?!a|b)` guarding each step of a capture, or '' when nothing can follow. */
function stopGuard(stops: readonly string[]): string {
  return stops.length === 0 ? '' : `(?!${stops.map(escapeRegExp).join('|')})`;
}

/** An unbounded run of value characters, each step refusing to start a stop sequence. */
function run(chars: string, guard: string): string {
  return `(?:${guard}(?:[A-Za-z0-9${escapeClass(chars)}]|${PCT}))*`;
}

/**
 * An RFC 6570 URI Template. Construct once (parsing and RegExp compilation happen here) and
 * reuse: {@link expand} and {@link match} are cheap.
 *
 * @example
 * const t = new UriTemplate('users://{id}/profile');
 * t.expand({ id: 'ada' }); // 'users://ada/profile'
 * t.match('users://ada/profile'); // { id: 'ada' }
 */
export class UriTemplate {
  /** Names of the template's variables, each once, in order of first appearance. */
  readonly variableNames: string[];
  private readonly template: string;
  private readonly parts: readonly Part[];
  private readonly regexp: RegExp;
  private readonly extractors: readonly Extractor[];

  /**
   * Parses `template` and compiles its matcher.
   * @throws ErlmcpError `ERR_INVALID_ARG` naming the position of a syntax error (unclosed or
   *   stray brace, empty expression, reserved operator, bad variable name or modifier), or when
   *   the template is over {@link MAX_TEMPLATE_LENGTH} characters, has over
   *   {@link MAX_EXPRESSIONS} expressions or over {@link MAX_VARIABLES} variables.
   */
  constructor(template: string) {
    if (typeof template !== 'string') {
      throw new ErlmcpError('ERR_INVALID_ARG', `URI template must be a string, got ${typeof template}`);
    }
    if (template.length > MAX_TEMPLATE_LENGTH) {
      throw new ErlmcpError(
        'ERR_INVALID_ARG',
        `Invalid URI template: ${template.length} characters is over the limit of ${MAX_TEMPLATE_LENGTH}`,
      );
    }
    this.template = template;
    this.parts = parse(template);
    const names = new Set<string>();
    for (const p of this.parts) if (p.kind === 'expr') for (const v of p.vars) names.add(v.name);
    this.variableNames = [...names];
    const compiled = compile(this.parts);
    this.regexp = compiled.regexp;
    this.extractors = compiled.extractors;
  }

  /**
   * Expands the template (RFC 6570 section 3). Missing, `null` and `undefined` variables, empty
   * lists and empty maps are undefined and produce nothing; the empty string is defined.
   * @throws ErlmcpError `ERR_INVALID_ARG` when a prefix modifier meets a list or map, a value is
   *   not a string/number/boolean/list/map, or a string holds a lone surrogate.
   */
  expand(vars: UriTemplateVariables): string {
    let out = '';
    for (const part of this.parts) out += part.kind === 'lit' ? part.encoded : expandExpression(part, vars);
    return out;
  }

  /**
   * The inverse of {@link expand}: the variables that expand to exactly `uri`, or null when
   * `uri` does not match (or is over {@link MAX_URI_LENGTH} characters). Values are
   * percent-decoded; exploded variables come back as arrays (split on the operator's
   * separator; under `/`, `.`, `#`, `+` and no operator an exploded map's members come back as
   * `"key=value"` strings); non-exploded lists and maps come back as their comma-joined string.
   * Query-style (`?`, `&`) and path-style (`;`) parameters may come in any order and each is
   * optional, but a parameter the template does not name makes the URI not match (so exploded
   * maps under those operators do not match). Where a URI could be split more than one
   * way, each variable ends at the first place where the rest of the template can start.
   */
  match(uri: string): UriTemplateMatch | null {
    if (typeof uri !== 'string' || uri.length > MAX_URI_LENGTH) return null;
    const m = this.regexp.exec(uri);
    if (m === null) return null;
    const state: MatchState = { out: {}, partial: undefined };
    for (const extract of this.extractors) if (!extract(m, state)) return null;
    return state.out;
  }

  /** The template source, as given to the constructor. */
  toString(): string {
    return this.template;
  }
}

function parse(t: string): Part[] {
  const parts: Part[] = [];
  let literalStart = 0;
  let expressions = 0;
  let variables = 0;
  const flushLiteral = (end: number): void => {
    if (end > literalStart) parts.push({ kind: 'lit', encoded: encode(t.slice(literalStart, end), true) });
  };
  for (let i = 0; i < t.length; i++) {
    const ch = t[i];
    if (ch === '}') throw templateError("unmatched '}'", i);
    if (ch !== '{') continue;
    flushLiteral(i);
    const close = t.indexOf('}', i + 1);
    if (close < 0) throw templateError("unclosed '{'", i);
    const nested = t.indexOf('{', i + 1);
    if (nested >= 0 && nested < close) throw templateError("unexpected '{' inside an expression", nested);
    if (++expressions > MAX_EXPRESSIONS) throw templateError(`more than ${MAX_EXPRESSIONS} expressions`, i);
    const expr = parseExpression(t.slice(i + 1, close), i + 1);
    variables += expr.vars.length;
    if (variables > MAX_VARIABLES) throw templateError(`more than ${MAX_VARIABLES} variables`, i);
    parts.push(expr);
    i = close;
    literalStart = close + 1;
  }
  flushLiteral(t.length);
  return parts;
}

/** Parses the inside of `{...}`; `offset` is the position of its first character in the template. */
function parseExpression(body: string, offset: number): Expression {
  if (body.length === 0) throw templateError('empty expression', offset - 1);
  const c = body[0] as string;
  if (RESERVED_OPERATORS.includes(c)) throw templateError(`reserved operator '${c}'`, offset);
  const op = OPERATORS[c] ?? (OPERATORS[''] as Operator);
  let pos = offset + op.char.length;
  const vars: VarSpec[] = [];
  for (const spec of body.slice(op.char.length).split(',')) {
    vars.push(parseVarSpec(spec, pos));
    pos += spec.length + 1;
  }
  return { kind: 'expr', op, vars };
}

function parseVarSpec(spec: string, pos: number): VarSpec {
  const modAt = spec.search(/[:*]/);
  const name = modAt < 0 ? spec : spec.slice(0, modAt);
  const modifier = modAt < 0 ? '' : spec.slice(modAt);
  let explode = false;
  let prefix = 0;
  if (modifier === '*') explode = true;
  else if (modifier.startsWith(':')) {
    // Level 4 allows one modifier: a prefix or an explode, never both.
    if (!PREFIX.test(modifier.slice(1))) {
      throw templateError(`invalid prefix modifier '${modifier}' (must be 1..${MAX_PREFIX})`, pos + modAt);
    }
    prefix = Number(modifier.slice(1));
  } else if (modifier !== '') throw templateError(`invalid modifier '${modifier}'`, pos + modAt);
  if (!VARNAME.test(name)) {
    throw templateError(name.length === 0 ? 'missing variable name' : `invalid variable name '${name}'`, pos);
  }
  return { name, explode, prefix };
}

function ownValue(vars: UriTemplateVariables, name: string): UriTemplateValue | null | undefined {
  // Own properties only: a variable named "constructor" must not find Object.prototype's.
  return Object.hasOwn(vars, name) ? vars[name] : undefined;
}

function expandExpression(e: Expression, vars: UriTemplateVariables): string {
  const { op } = e;
  let out = '';
  let first = true;
  for (const v of e.vars) {
    const value = ownValue(vars, v.name);
    if (value === undefined || value === null) continue;
    let piece: string;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      const s = String(value);
      const text = encode(v.prefix > 0 ? truncate(s, v.prefix, op.reserved) : s, op.reserved);
      piece = op.named ? (s.length === 0 ? v.name + op.ifemp : `${v.name}=${text}`) : text;
    } else if (typeof value === 'object') {
      if (v.prefix > 0) {
        throw new ErlmcpError(
          'ERR_INVALID_ARG',
          `URI template prefix modifier '${v.name}:${v.prefix}' does not apply to a list or map`,
        );
      }
      const composite = expandComposite(op, v, value);
      if (composite === undefined) continue;
      piece = composite;
    } else {
      throw new ErlmcpError(
        'ERR_INVALID_ARG',
        `URI template variable '${v.name}' must be a string, number, boolean, list or map, got ${typeof value}`,
      );
    }
    out += first ? op.first : op.sep;
    first = false;
    out += piece;
  }
  return out;
}

/** Expands a list or map value; undefined when it has no defined members (RFC 6570 2.3). */
function expandComposite(
  op: Operator,
  v: VarSpec,
  value: readonly string[] | Readonly<Record<string, string>>,
): string | undefined {
  const pairs: [string | undefined, string][] = [];
  if (Array.isArray(value)) {
    for (const item of value as readonly unknown[])
      if (item !== undefined && item !== null) pairs.push([undefined, String(item)]);
  } else {
    for (const [k, item] of Object.entries(value as Record<string, unknown>)) {
      if (item !== undefined && item !== null) pairs.push([k, String(item)]);
    }
  }
  if (pairs.length === 0) return undefined;
  const r = op.reserved;
  if (!v.explode) {
    const joined = pairs
      .map(([k, s]) => (k === undefined ? encode(s, r) : `${encode(k, r)},${encode(s, r)}`))
      .join(',');
    return op.named ? `${v.name}=${joined}` : joined;
  }
  return pairs
    .map(([k, s]) => {
      const name = k === undefined ? (op.named ? v.name : undefined) : encode(k, r);
      if (name === undefined) return encode(s, r);
      // Appendix A: named operators write ifemp for an empty value; the others always write '='.
      return s.length === 0 && op.named ? name + op.ifemp : `${name}=${encode(s, r)}`;
    })
    .join(op.sep);
}

// ---------------------------------------------------------------------------------------------
// Matching

/** Query-style (`?`, `&`) and path-style (`;`) expressions: pairs matched by name, in any order. */
function family(e: Part): string | undefined {
  if (e.kind !== 'expr' || !e.op.named) return undefined;
  return e.op.char === ';' ? ';' : '?&';
}

/**
 * What may start right after parts[from]: the first characters of following expressions (any
 * of which may expand to nothing) up to and including the next literal's first characters.
 */
function stopsAfter(parts: readonly Part[], from: number): string[] {
  const stops = new Set<string>();
  for (let j = from; j < parts.length; j++) {
    const p = parts[j] as Part;
    if (p.kind === 'lit') {
      stops.add(p.encoded.slice(0, STOP_LITERAL_LENGTH));
      break;
    }
    if (p.op.first !== '') stops.add(p.op.first);
  }
  return [...stops];
}

function compile(parts: readonly Part[]): { regexp: RegExp; extractors: Extractor[] } {
  let src = '^';
  let groups = 0;
  const extractors: Extractor[] = [];
  let i = 0;
  while (i < parts.length) {
    const part = parts[i] as Part;
    if (part.kind === 'lit') {
      src += escapeRegExp(part.encoded);
      i++;
      continue;
    }
    const fam = family(part);
    let end = i + 1;
    if (fam !== undefined) while (end < parts.length && family(parts[end] as Part) === fam) end++;
    const guard = stopGuard(stopsAfter(parts, end));
    const wrapper = ++groups;
    let inner: string;
    if (fam !== undefined) {
      // Named parameters may come in any order, so the whole run of adjacent `?`/`&` (or `;`)
      // expressions is captured as one string and split into name=value pairs afterwards.
      const exprs = parts.slice(i, end) as Expression[];
      const leads = fam === ';' ? ';' : '?&';
      inner = `(?:${guard}[${escapeClass(leads)}]${run('-._~,=', guard)})*`;
      extractors.push(pairExtractor(exprs, wrapper));
    } else if (part.vars.some((v) => v.explode)) {
      const body = ++groups;
      // Exploded maps write key=value members; the separator splits members afterwards.
      const chars = `${valueChars(part.op)}${part.op.sep === ',' ? '' : part.op.sep}=`;
      inner = `(?:${guard}${escapeRegExp(part.op.first)}(${run(chars, guard)}))?`;
      extractors.push(listExtractor(part, wrapper, body));
    } else {
      // Positional variables, trailing ones optional: (?:F(v1)(?:S(v2)(?:S(v3))?)?)?
      const { op } = part;
      const indexes: number[] = [];
      let closers = '';
      inner = '';
      part.vars.forEach((v, k) => {
        const last = k === part.vars.length - 1;
        // Non-last variables stop at the separator so `{.a,b}` splits "x.y" between them.
        const chars = last ? valueChars(op) : without(valueChars(op), op.sep);
        const lead = escapeRegExp(k === 0 ? op.first : op.sep);
        const capture =
          v.prefix > 0
            ? `(?:${guard}(?:[A-Za-z0-9${escapeClass(chars)}]|${PCT_CODE_POINT})){0,${v.prefix}}`
            : run(chars, guard);
        indexes.push(++groups);
        inner += `(?:${guard}${lead}(${capture})`;
        closers += ')?';
      });
      inner += closers;
      extractors.push(positionalExtractor(part, wrapper, indexes));
    }
    src += `(?=(${inner}))\\${wrapper}`;
    i = end;
  }
  return { regexp: new RegExp(`${src}$`), extractors };
}

/**
 * Records a variable's value. A variable the template uses twice must have one value: both
 * occurrences equal, except that an occurrence with a prefix modifier (`{/var:1,var}`) only
 * has to be a prefix of the whole value.
 */
function assign(state: MatchState, name: string, value: string | string[], prefixed = false): boolean {
  const { out } = state;
  const prev = out[name];
  if (prev === undefined) {
    out[name] = value;
    if (prefixed) {
      state.partial ??= new Set();
      state.partial.add(name);
    }
    return true;
  }
  if (typeof prev !== 'string' || typeof value !== 'string') {
    return (
      Array.isArray(prev) &&
      Array.isArray(value) &&
      prev.length === value.length &&
      prev.every((x, i) => x === value[i])
    );
  }
  const prevPartial = state.partial?.has(name) === true;
  if (prev === value || (prefixed && prev.startsWith(value))) {
    if (!prefixed && prevPartial) state.partial?.delete(name);
    return true;
  }
  if (prevPartial && value.startsWith(prev)) {
    out[name] = value;
    if (!prefixed) state.partial?.delete(name);
    return true;
  }
  return false;
}

function fitsPrefix(v: VarSpec, value: string): boolean {
  return v.prefix === 0 || codePointLength(value) <= v.prefix;
}

function positionalExtractor(e: Expression, wrapper: number, indexes: readonly number[]): Extractor {
  return (m, state) => {
    // An operator without a first character that expanded to nothing: its variables were undefined.
    if (e.op.first === '' && m[wrapper] === '') return true;
    for (let k = 0; k < indexes.length; k++) {
      const raw = m[indexes[k] as number];
      if (raw === undefined) break;
      const v = e.vars[k] as VarSpec;
      const value = decode(raw);
      if (value === undefined || !assign(state, v.name, value, v.prefix > 0)) return false;
    }
    return true;
  };
}

function listExtractor(e: Expression, wrapper: number, body: number): Extractor {
  const vars = e.vars;
  return (m, state) => {
    const raw = m[body];
    if (raw === undefined || (e.op.first === '' && m[wrapper] === '')) return true;
    const pieces = raw.split(e.op.sep);
    let p = 0;
    for (let k = 0; k < vars.length && p < pieces.length; k++) {
      const v = vars[k] as VarSpec;
      if (v.explode) {
        // Leave one piece for each variable after this one; this one takes the rest.
        const take = Math.max(1, pieces.length - p - (vars.length - k - 1));
        const items: string[] = [];
        for (const piece of pieces.slice(p, p + take)) {
          const d = decode(piece);
          if (d === undefined) return false;
          items.push(d);
        }
        if (!assign(state, v.name, items)) return false;
        p += take;
      } else {
        const d = decode(pieces[p] as string);
        if (d === undefined || !fitsPrefix(v, d) || !assign(state, v.name, d, v.prefix > 0)) return false;
        p++;
      }
    }
    return p === pieces.length;
  };
}

function pairExtractor(exprs: readonly Expression[], wrapper: number): Extractor {
  const byName = new Map<string, VarSpec>();
  for (const e of exprs) for (const v of e.vars) if (!byName.has(v.name)) byName.set(v.name, v);
  const firstLeads = new Set(exprs.map((e) => e.op.first));
  // A later '?' is only legitimate when a second `{?...}` expression could have produced it.
  const laterLeads = exprs.filter((e) => e.op.char === '?').length > 1 ? '?&' : (exprs[0] as Expression).op.sep;
  const ifemp = (exprs[0] as Expression).op.ifemp;
  return (m, state) => {
    const text = m[wrapper] as string;
    if (text === '') return true;
    const seen = new Set<string>();
    const lists = new Map<string, string[]>();
    let start = 0;
    while (start < text.length) {
      const lead = text[start] as string;
      if (start === 0 ? !firstLeads.has(lead) : !laterLeads.includes(lead)) return false;
      let next = start + 1;
      while (next < text.length && !'?&;'.includes(text[next] as string)) next++;
      const piece = text.slice(start + 1, next);
      start = next;
      const eq = piece.indexOf('=');
      const name = eq < 0 ? piece : piece.slice(0, eq);
      const rawValue = eq < 0 ? '' : piece.slice(eq + 1);
      // Exactly what expand writes: `name=value`, or `name` + ifemp for the empty string.
      if (eq < 0 ? ifemp !== '' : rawValue === '' && ifemp === '') return false;
      if (rawValue.includes('=')) return false;
      const v = byName.get(name);
      if (v === undefined) return false;
      const value = decode(rawValue);
      if (value === undefined) return false;
      if (v.explode) {
        const list = lists.get(name);
        if (list === undefined) lists.set(name, [value]);
        else list.push(value);
      } else {
        if (seen.has(name) || !fitsPrefix(v, value) || !assign(state, name, value, v.prefix > 0)) return false;
        seen.add(name);
      }
    }
    for (const [name, list] of lists) if (!assign(state, name, list)) return false;
    return true;
  };
}
