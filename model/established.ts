/**
 * A value the config checks establish: config/validate.ts resolves a config
 * only once checkConfig passes, so resolve can hand the builders the value
 * itself instead of an optional they would have to doubt.
 */
export function established<T>(value: T | undefined, key: string): T {
  if (value === undefined)
    throw new Error(`${key} is unset, which the config checks refuse: resolve a config only after checkConfig passes`);
  return value;
}
