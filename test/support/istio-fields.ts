/**
 * The fields Istio's CRDs declare, read from the code `cdk8s import`
 * generated from them (imports/): every `toJson_<Struct>` function lists the
 * JSON keys of its struct and which struct each key holds. The schema
 * validators of @kubernetes-models/istio ignore unknown fields, so this is
 * what catches a misspelt one (`consecutive5XxErrors`) in dist/.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** A key's value: a scalar, a struct, or an array or string map of either. */
type FieldShape =
  | { readonly kind: "scalar" }
  | { readonly kind: "struct"; readonly struct: string }
  | { readonly kind: "array"; readonly struct?: string }
  | { readonly kind: "map"; readonly struct?: string };

export type StructIndex = ReadonlyMap<string, ReadonlyMap<string, FieldShape>>;

const FUNCTION = /export function toJson_(\w+)\(obj: \w+ \| undefined\)[^{]*\{([\s\S]*?)\n\}/g;
const ENTRY = /^\s*'([^']+)': (.*),$/gm;

function shapeOf(expression: string): FieldShape {
  const mapped = /\[i\[0\]\]: toJson_(\w+)\(i\[1\]\)/.exec(expression);
  if (expression.includes("Object.entries(")) {
    return mapped ? { kind: "map", struct: mapped[1] as string } : { kind: "map" };
  }
  const arrayOf = /\?\.map\(y => toJson_(\w+)\(y\)\)/.exec(expression);
  if (arrayOf) return { kind: "array", struct: arrayOf[1] as string };
  if (expression.includes("?.map(")) return { kind: "array" };
  const struct = /^toJson_(\w+)\(obj\.\w+\)$/.exec(expression);
  return struct ? { kind: "struct", struct: struct[1] as string } : { kind: "scalar" };
}

/** Parses the `toJson_` functions of generated modules into struct → key → shape. */
export function structIndex(sources: readonly string[]): StructIndex {
  const index = new Map<string, Map<string, FieldShape>>();
  for (const source of sources) {
    for (const fn of source.matchAll(FUNCTION)) {
      const fields = new Map<string, FieldShape>();
      for (const entry of (fn[2] as string).matchAll(ENTRY)) {
        fields.set(entry[1] as string, shapeOf((entry[2] as string).trim()));
      }
      index.set(fn[1] as string, fields);
    }
  }
  return index;
}

/** The generated modules of imports/, read from the repository. */
export function readImports(repoRoot: string, modules: readonly string[]): string[] {
  return modules.map((m) => readFileSync(join(repoRoot, "imports", `${m}.ts`), "utf8"));
}

/** Paths of `value` (as `Kind.spec.a.b`) that the struct does not declare. */
export function unknownFields(
  value: unknown,
  struct: string,
  index: StructIndex,
  path: string,
): string[] {
  const fields = index.get(struct);
  if (fields === undefined) throw new Error(`no generated struct ${struct}`);
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const shape = fields.get(key);
    const at = `${path}.${key}`;
    if (shape === undefined) return [at];
    if (shape.kind === "struct") return unknownFields(child, shape.struct, index, at);
    if (shape.kind === "array" && shape.struct !== undefined && Array.isArray(child)) {
      const struct = shape.struct;
      return child.flatMap((item, i) => unknownFields(item, struct, index, `${at}[${i}]`));
    }
    if (shape.kind === "map" && shape.struct !== undefined && typeof child === "object" && child) {
      const struct = shape.struct;
      return Object.entries(child).flatMap(([k, item]) =>
        unknownFields(item, struct, index, `${at}.${k}`),
      );
    }
    return [];
  });
}
