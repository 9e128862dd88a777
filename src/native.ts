/**
 * The one module that touches the napi-rs binding (the generated `index.js` loader at the
 * package root, one directory above both `src/` and `dist/`). Everything else imports the
 * native classes from here, so swapping the loader touches one file.
 * @internal
 */
import * as binding from '../index.js';

export const native = binding;
export type NativeBinding = typeof binding;

/** Symbol under which each wrapper keeps its native object, for composition (Router). */
export const NATIVE: unique symbol = Symbol('erlmcp.native');

let adopting: unknown;

/**
 * Builds a wrapper around an existing native object (from a native `open(name)`): `make`
 * calls the wrapper's public constructor, which picks `inner` up through {@link takeAdopted}.
 * Going through the constructor keeps every wrapper instance the same V8 shape.
 */
export function adopt<T>(inner: unknown, make: () => T): T {
  adopting = inner;
  try {
    return make();
  } finally {
    adopting = undefined;
  }
}

/** The object handed to {@link adopt}, once; undefined in a plain `new`. */
export function takeAdopted<T>(): T | undefined {
  const a = adopting as T | undefined;
  adopting = undefined;
  return a;
}
