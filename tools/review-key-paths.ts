/** Two JSON-like values compared key path by key path, each change shown on one line. */
const VALUE_WIDTH = 80;

export interface Change {
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

export type Json = unknown;
export const isObject = (v: Json): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Arrays whose items all carry a `name` (containers, ports, env) are compared by name, so an insertion is not a cascade of index changes. */
function keyedByName(a: readonly Json[]): Map<string, Json> | undefined {
  if (a.length === 0 || !a.every((x) => isObject(x) && typeof x.name === "string")) return undefined;
  const names = a.map((x) => (x as { name: string }).name);
  return new Set(names).size === names.length ? new Map(a.map((x) => [(x as { name: string }).name, x])) : undefined;
}

/** Every key path at which `before` and `after` differ; a missing side is absent. */
export function keyPathChanges(before: Json, after: Json, path = ""): Change[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) =>
      k in before
        ? k in after
          ? keyPathChanges(before[k], after[k], join(path, k))
          : [{ path: join(path, k), before: before[k] }]
        : [{ path: join(path, k), after: after[k] }],
    );
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const b = keyedByName(before);
    const a = keyedByName(after);
    if (a && b) {
      const names = [...new Set([...b.keys(), ...a.keys()])];
      return names.flatMap((n) => {
        const p = `${path}[name=${n}]`;
        return b.has(n)
          ? a.has(n)
            ? keyPathChanges(b.get(n), a.get(n), p)
            : [{ path: p, before: b.get(n) }]
          : [{ path: p, after: a.get(n) }];
      });
    }
    if (before.every((x) => !isObject(x) && !Array.isArray(x)) && after.every((x) => !isObject(x) && !Array.isArray(x)))
      return [{ path: path || ".", before, after }];
    const n = Math.max(before.length, after.length);
    return Array.from({ length: n }, (_, i) => i).flatMap((i) =>
      i >= before.length
        ? [{ path: `${path}[${i}]`, after: after[i] }]
        : i >= after.length
          ? [{ path: `${path}[${i}]`, before: before[i] }]
          : keyPathChanges(before[i], after[i], `${path}[${i}]`),
    );
  }
  return [{ path: path || ".", before, after }];
}

const join = (path: string, key: string) =>
  path ? `${path}.${/^[A-Za-z_][\w-]*$/.test(key) ? key : JSON.stringify(key)}` : /^[A-Za-z_][\w-]*$/.test(key) ? key : JSON.stringify(key);

const oneLine = (v: Json): string => (typeof v === "string" ? v : JSON.stringify(v)).replace(/\s+/g, " ");
const code = (text: string) => `\`${text.replaceAll("`", "'").replaceAll("|", "\\|")}\``;

/** Inline code of a value, cut to one readable line. */
function shown(v: Json): string {
  const one = oneLine(v);
  return code(one.length > VALUE_WIDTH ? `${one.slice(0, VALUE_WIDTH - 1)}…` : one);
}

/** How much of the text before the first difference a cut value keeps, so the reader sees what the change is in. */
const CONTEXT = 24;

/**
 * Both sides of a change, each cut to one line around where they first differ:
 * two long values that share a beginning (an installer image whose tag
 * changes) would otherwise be cut to the same text.
 */
export function shownPair(before: Json, after: Json): [string, string] {
  const b = oneLine(before);
  const a = oneLine(after);
  if (b.length <= VALUE_WIDTH && a.length <= VALUE_WIDTH) return [code(b), code(a)];
  let same = 0;
  while (same < b.length && same < a.length && b[same] === a[same]) same++;
  const start = same > VALUE_WIDTH - CONTEXT ? same - CONTEXT : 0;
  const window = (text: string) => {
    const lead = start > 0 ? "…" : "";
    const room = VALUE_WIDTH - lead.length;
    const rest = text.slice(start);
    return code(`${lead}${rest.length > room ? `${rest.slice(0, room - 1)}…` : rest}`);
  };
  return [window(b), window(a)];
}

export function changeLine(c: Change, hideValues: boolean): string {
  const hidden = "(value not shown)";
  if (c.before === undefined) return `- added \`${c.path}\`${hideValues ? ` ${hidden}` : `: ${shown(c.after)}`}`;
  if (c.after === undefined) return `- removed \`${c.path}\``;
  if (hideValues) return `- changed \`${c.path}\` ${hidden}`;
  const [b, a] = shownPair(c.before, c.after);
  return `- \`${c.path}\`: ${b} → ${a}`;
}
