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
