import 'server-only';
import { inspect } from 'node:util';

// How the configuration prints: never a secret (CONTRIBUTING.md).

/**
 * Gives `value` a non-enumerable toJSON and util.inspect.custom showing `view()` instead, so that
 * console.log(getConfig()) or JSON.stringify(config) prints no secret (CONTRIBUTING.md), while code
 * that reads the fields (iron-session's password map, lib/mwoauth's consumer) still gets them.
 * Non-enumerable: Object.assign and spreads copy the real fields only.
 */
export function printedAs<T extends object>(value: T, view: () => unknown): T {
  Object.defineProperties(value, {
    toJSON: { value: view, enumerable: false },
    [inspect.custom]: {
      value: (_depth: number, options: object): string => inspect(view(), options),
      enumerable: false,
    },
  });
  return value;
}

export function redactedPasswords(passwords: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.keys(passwords).map((id) => [id, '[redacted]']));
}

/** A SessionConfig (config/session.ts) as it prints; typed by shape, so this file imports nothing of config/. */
export function redactedSession(session: {
  readonly passwords: Readonly<Record<string, string>>;
  readonly currentPasswordId: string;
}): Record<string, unknown> {
  return { passwords: redactedPasswords(session.passwords), currentPasswordId: session.currentPasswordId };
}
