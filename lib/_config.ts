/**
 * Comparing recorded configurations (caches, models).
 *
 * @module
 */

/**
 * The first setting where two configurations differ, as `key: old → new` (undefined when
 * they are equal). Keys are dotted paths into the config.
 */
export function configDifference(old: unknown, now: unknown, path = ""): string | undefined {
  if (typeof old === "object" && old !== null && typeof now === "object" && now !== null && !Array.isArray(old)) {
    const keys = [...new Set([...Object.keys(old), ...Object.keys(now)])].sort();
    for (const k of keys) {
      const d = configDifference(
        (old as Record<string, unknown>)[k],
        (now as Record<string, unknown>)[k],
        path ? `${path}.${k}` : k,
      );
      if (d) return d;
    }
    return undefined;
  }
  return JSON.stringify(old) === JSON.stringify(now)
    ? undefined
    : `${path}: ${JSON.stringify(old)} → ${JSON.stringify(now)}`;
}

/**
 * JSON with every object's keys sorted: equal configurations give equal text, whatever the
 * order their keys were written in.
 *
 * @param value A JSON value.
 * @returns Its canonical text.
 * @example
 * ```ts
 * import { canonicalJson } from "./_config.ts";
 * if (canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }) !== '{"a":[{"c":3,"d":2}],"b":1}') throw new Error();
 * ```
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v) =>
      typeof v === "object" && v !== null && !Array.isArray(v)
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]))
        : v,
  );
}
