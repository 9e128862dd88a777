import { expect } from 'vitest';

/** Asserts that `fn` throws an Error whose `code` is `code`, and returns it. */
export function expectCode(fn: () => unknown, code: string): Error & { code: string } {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, `expected ${code} to be thrown`).toBeInstanceOf(Error);
  expect((thrown as { code?: unknown }).code).toBe(code);
  return thrown as Error & { code: string };
}

/** Awaits `p` and asserts it rejects with an Error whose `code` is `code`. */
export async function expectRejectCode(p: Promise<unknown>, code: string): Promise<void> {
  await expect(p).rejects.toMatchObject({ code });
}
