import 'server-only';

// Narrowing what comes back `unknown` (unsealed cookies, Redis values, wiki answers) field by
// field (CONTRIBUTING.md), one copy for lib/server. devwiki keeps its own: it must stay independent.

/** An own property of `value` (never one inherited from Object.prototype), or undefined. */
export function field(value: object, name: string): unknown {
  return Object.prototype.hasOwnProperty.call(value, name) ? Reflect.get(value, name) : undefined;
}

export function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** Seconds since the epoch, as our seals store them. */
export function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}
