/**
 * The enum values of the Kubernetes API types, read from the Go sources of
 * k8s.io/api at a release tag, the way the upstream OpenAPI generator finds them:
 * a string type marked `+enum` takes the values of its package's constants of
 * that type. The OpenAPI v2 spec the schemas come from has dropped enums (only
 * the v3 spec carries them), so without this a typo such as `type: Loadbalancer`
 * would pass offline and fail at apply time.
 */

/** Property enums by OpenAPI definition name (`io.k8s.api.core.v1.ServiceSpec` → `type` → values). */
export type Enums = Record<string, Record<string, string[]>>;

interface GoPackage {
  readonly imports: ReadonlyMap<string, string>;
  readonly enumTypes: ReadonlySet<string>;
  /** const name → [type, value, or a reference `pkgAlias.Name` / `Name` still to resolve] */
  readonly consts: ReadonlyMap<string, { type: string; value?: string; ref?: string }>;
  /** struct name → json field name → Go type without `*` / `[]` */
  readonly structs: ReadonlyMap<string, ReadonlyMap<string, string>>;
}

function parsePackage(source: string): GoPackage {
  const imports = new Map<string, string>();
  for (const m of source.matchAll(/^\s*(?:(\w+)\s+)?"k8s\.io\/api\/(\w+\/\w+)"\s*$/gm)) imports.set(m[1] ?? m[2]!.split("/")[1]!, m[2]!);
  const enumTypes = new Set<string>();
  for (const m of source.matchAll(/((?:^\/\/.*\n)+)type (\w+) string$/gm)) {
    if (/^\/\/ \+enum$/m.test(m[1]!)) enumTypes.add(m[2]!);
  }
  const consts = new Map<string, { type: string; value?: string; ref?: string }>();
  for (const m of source.matchAll(/^\t(\w+)\s+(\w+)\s*=\s*"([^"]*)"/gm)) consts.set(m[1]!, { type: m[2]!, value: m[3]! });
  for (const m of source.matchAll(/^\t(\w+)\s*=\s*(\w+)\("([^"]*)"\)/gm)) consts.set(m[1]!, { type: m[2]!, value: m[3]! });
  for (const m of source.matchAll(/^\t(\w+)\s*=\s*(\w+)\(((?:\w+\.)?\w+)\)/gm)) consts.set(m[1]!, { type: m[2]!, ref: m[3]! });
  const bodies = new Map([...source.matchAll(/^type (\w+) struct \{\n([\s\S]*?)^\}/gm)].map((m) => [m[1]!, m[2]!]));
  // A struct embedded with `json:",inline"` (EphemeralContainer's EphemeralContainerCommon) lends its fields to the outer one.
  const fieldsOf = (body: string): Map<string, string> => {
    const fields = new Map<string, string>();
    for (const f of body.matchAll(/^\t\w+\s+([\w.*[\]]+)\s+`json:"(\w+)[,"]/gm)) fields.set(f[2]!, f[1]!.replace(/^[*[\]]+/, ""));
    for (const e of body.matchAll(/^\t(\w+)\s+`json:",inline"/gm)) {
      const embedded = bodies.get(e[1]!);
      if (embedded) for (const [k, v] of fieldsOf(embedded)) fields.set(k, v);
    }
    return fields;
  };
  const structs = new Map([...bodies].map(([name, body]) => [name, fieldsOf(body)]));
  return { imports, enumTypes, consts, structs };
}

/** The enums of `sources` (package path such as `core/v1` → its Go files, concatenated). */
export function goEnums(sources: Readonly<Record<string, string>>): Enums {
  const packages = new Map(Object.entries(sources).map(([path, source]) => [path, parsePackage(source)]));
  const resolve = (path: string, name: string, seen = 0): string | undefined => {
    const c = packages.get(path)?.consts.get(name);
    if (!c || seen > 4) return undefined;
    if (c.value !== undefined) return c.value;
    const [alias, ref] = c.ref!.includes(".") ? c.ref!.split(".") : [undefined, c.ref!];
    const target = alias ? packages.get(path)!.imports.get(alias) : path;
    return target ? resolve(target, ref!, seen + 1) : undefined;
  };
  const values = (path: string, type: string): string[] | undefined => {
    const pkg = packages.get(path);
    if (!pkg?.enumTypes.has(type)) return undefined;
    const found = [...pkg.consts].filter(([, c]) => c.type === type).map(([name]) => resolve(path, name));
    return [...new Set(found.filter((v): v is string => v !== undefined))].sort();
  };
  const enums: Enums = {};
  for (const [path, pkg] of packages) {
    for (const [struct, fields] of pkg.structs) {
      for (const [field, goType] of fields) {
        const [alias, type] = goType.includes(".") ? goType.split(".") : [undefined, goType];
        const target = alias ? pkg.imports.get(alias) : path;
        const found = target ? values(target, type!) : undefined;
        if (!found?.length) continue;
        const definition = `io.k8s.api.${path.replace("/", ".")}.${struct}`;
        enums[definition] = { ...enums[definition], [field]: found };
      }
    }
  }
  return enums;
}
