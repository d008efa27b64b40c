/**
 * Names in the config are the operator's: `constructor`, `valueOf` or
 * `toString` are fine DNS labels and strings, and `record[name]` would find
 * Object.prototype's functions for them, so a reference to an undefined
 * issuer, pool or namespace would look defined and fail deep in the program.
 * Every lookup of a user-given name goes through here.
 */
export function own<T>(record: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(record, name) ? record[name] : undefined;
}
