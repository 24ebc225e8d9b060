/**
 * The OpenAPI document as a test oracle, independent of the server code:
 * fast-check arbitraries for requests derived from its JSON Schemas, an ajv
 * check of whether a request is valid per the document, and an ajv check of
 * a response against the operation's documented response (status, headers,
 * body). Only the JSON Schema subset the document uses is supported; an
 * unsupported keyword fails loudly instead of being ignored.
 */
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import formats from "ajv-formats";
import fc from "fast-check";

// biome-ignore lint/suspicious/noExplicitAny: the document is JSON walked by keyword.
type Json = any;

const HTTP_METHODS = ["get", "head", "post", "put", "patch", "delete", "options"] as const;

export interface Parameter {
  readonly name: string;
  readonly in: "path" | "query" | "header";
  readonly required: boolean;
  readonly schema: Json;
}

export interface Operation {
  readonly method: string;
  /** OpenAPI template, e.g. `/user/{username}`. */
  readonly path: string;
  readonly operationId: string;
  readonly parameters: readonly Parameter[];
  /** Media type → schema; undefined when the operation takes no body. */
  readonly body: Readonly<Record<string, Json>> | undefined;
  readonly responses: Readonly<Record<string, Json>>;
}

/** A request as it goes on the wire. */
export interface WireRequest {
  readonly operation: Operation;
  readonly method: string;
  /** Path and query, encoded. */
  readonly target: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface WireResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null | undefined };
  readonly body: string;
}

const KNOWN_SCHEMA_KEYWORDS = new Set([
  "type",
  "properties",
  "required",
  "additionalProperties",
  "anyOf",
  "items",
  "maxItems",
  "pattern",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "default",
  "enum",
  "format",
  "$ref",
  "description",
  "example",
  "examples",
  "x-equals-path-parameter",
]);

export class OpenApiOracle {
  readonly operations: readonly Operation[];
  readonly #document: Json;
  readonly #ajv: Ajv2020;
  readonly #validators = new Map<string, ValidateFunction>();

  constructor(document: Json) {
    this.#document = document;
    this.#ajv = new Ajv2020({ strict: false, allErrors: true, unicodeRegExp: true });
    (formats as unknown as { default: (ajv: Ajv2020) => void }).default(this.#ajv);
    this.#ajv.addSchema({ $id: "openapi.json", components: document.components });
    this.operations = Object.entries(document.paths).flatMap(([path, item]: [string, Json]) =>
      HTTP_METHODS.filter((method) => item[method] !== undefined).map((method) => {
        const op = item[method];
        return {
          method: method.toUpperCase(),
          path,
          operationId: op.operationId,
          parameters: (op.parameters ?? []).map((p: Json) => ({
            name: p.name,
            in: p.in,
            required: p.required === true,
            schema: p.schema,
          })),
          body:
            op.requestBody === undefined
              ? undefined
              : Object.fromEntries(
                  Object.entries(op.requestBody.content).map(([type, media]: [string, Json]) => [
                    type,
                    media.schema,
                  ]),
                ),
          responses: op.responses,
        };
      }),
    );
  }

  /** Resolves a local `$ref`. */
  resolve(node: Json): Json {
    if (node?.$ref === undefined) return node;
    const path = String(node.$ref).replace(/^#\//, "").split("/");
    return this.resolve(path.reduce((at: Json, key) => at?.[key], this.#document));
  }

  /** Validates a value against a schema of the document (refs resolved in it). */
  validate(schema: Json, value: unknown): string[] {
    const key = JSON.stringify(schema);
    let validator = this.#validators.get(key);
    if (validator === undefined) {
      validator = this.#ajv.compile({ $id: `s${this.#validators.size}`, ...rebase(schema) });
      this.#validators.set(key, validator);
    }
    return validator(value)
      ? []
      : (validator.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
  }

  /** An arbitrary of values valid per a schema. */
  arbitrary(schema: Json): fc.Arbitrary<unknown> {
    const s = this.resolve(schema);
    for (const keyword of Object.keys(s)) {
      if (!KNOWN_SCHEMA_KEYWORDS.has(keyword)) throw new Error(`unsupported keyword ${keyword}`);
    }
    if (s.enum !== undefined) return fc.constantFrom(...s.enum);
    const types: string[] = Array.isArray(s.type) ? s.type : [s.type ?? "object"];
    return fc.oneof(...types.map((type) => this.#arbitraryOf(type, s)));
  }

  #arbitraryOf(type: string, s: Json): fc.Arbitrary<unknown> {
    switch (type) {
      case "null":
        return fc.constant(null);
      case "boolean":
        return fc.boolean();
      case "integer":
        return fc.integer({ min: s.minimum ?? -1000, max: s.maximum ?? 1000 });
      case "string": {
        const base =
          s.pattern === undefined
            ? fc.string({ minLength: s.minLength ?? 0, maxLength: s.maxLength ?? 20 })
            : fc.stringMatching(new RegExp(s.pattern, "u"));
        const length = (v: string) => [...v].length;
        return base.filter(
          (v) => length(v) >= (s.minLength ?? 0) && length(v) <= (s.maxLength ?? Infinity),
        );
      }
      case "array":
        return fc.array(this.arbitrary(s.items ?? {}), { maxLength: Math.min(s.maxItems ?? 3, 3) });
      case "object": {
        const properties: Record<string, Json> = s.properties ?? {};
        const required = new Set<string>(s.required ?? []);
        // `anyOf: [{required: [a]}, {required: [b]}]`: at least one of them.
        const oneOfRequired: string[][] = (s.anyOf ?? []).map((branch: Json) => branch.required);
        const pick: fc.Arbitrary<readonly string[]> =
          oneOfRequired.length === 0 ? fc.constant([]) : fc.constantFrom(...oneOfRequired);
        return pick.chain((forced) =>
          fc.record(
            Object.fromEntries(
              Object.entries(properties).map(([name, sub]) => [name, this.arbitrary(sub)]),
            ),
            { requiredKeys: [...required, ...forced] },
          ),
        );
      }
      default:
        throw new Error(`unsupported type ${type}`);
    }
  }

  /** An arbitrary of requests the document calls valid, for one operation. */
  validRequest(
    operation: Operation,
    pools: { username: fc.Arbitrary<string> },
  ): fc.Arbitrary<WireRequest> {
    const param = (p: Parameter) =>
      p.in === "path" && p.name === "username" ? pools.username : this.arbitrary(p.schema);
    const optional = (p: Parameter) =>
      p.required
        ? param(p).map((v) => [p, v] as const)
        : fc.option(
            param(p).map((v) => [p, v] as const),
            { nil: undefined },
          );
    const body =
      operation.body === undefined
        ? fc.constant(undefined)
        : fc.tuple(
            fc.constantFrom(...Object.keys(operation.body)),
            fc
              .constantFrom(...Object.values(operation.body))
              .chain((schema) => this.arbitrary(schema)),
          );
    return fc
      .tuple(fc.tuple(...operation.parameters.map(optional)), body)
      .map(([values, content]) => {
        const given = values.filter((v): v is readonly [Parameter, unknown] => v !== undefined);
        const pathParams = Object.fromEntries(
          given.filter(([p]) => p.in === "path").map(([p, v]) => [p.name, String(v)]),
        );
        let payload = content?.[1] as Record<string, unknown> | undefined;
        if (payload !== undefined && operation.body !== undefined) {
          payload = this.#sameAsPath(Object.values(operation.body)[0], payload, pathParams);
        }
        return encodeRequest(
          operation,
          given,
          content === undefined ? undefined : [content[0], JSON.stringify(payload)],
        );
      });
  }

  /** Sets body properties marked `x-equals-path-parameter` to that parameter's value. */
  #sameAsPath(schema: Json, body: Record<string, unknown>, pathParams: Record<string, string>) {
    const properties: Record<string, Json> = this.resolve(schema).properties ?? {};
    const copy = { ...body };
    for (const [name, sub] of Object.entries(properties)) {
      const linked = sub["x-equals-path-parameter"];
      if (linked !== undefined && name in copy) copy[name] = pathParams[linked];
    }
    return copy;
  }

  /** Why the request is invalid per the document; empty when it is valid. */
  requestProblems(request: WireRequest, maxBodyBytes: number): string[] {
    const { operation } = request;
    const problems: string[] = [];
    const [pathPart = "", query = ""] = request.target.split(/\?(.*)/s);
    const pattern = new RegExp(`^${operation.path.replace(/\{([^}]+)\}/g, "(?<$1>[^/]+)")}$`);
    const segments = pattern.exec(pathPart)?.groups ?? {};
    const pathParams: Record<string, string> = {};
    for (const p of operation.parameters.filter((p) => p.in === "path")) {
      let value: string;
      try {
        value = decodeURIComponent(segments[p.name] ?? "");
      } catch {
        problems.push(`path ${p.name} is not percent-decodable`);
        continue;
      }
      pathParams[p.name] = value;
      problems.push(...this.validate(p.schema, value).map((e) => `path ${p.name}: ${e}`));
    }
    const declared = new Map(
      operation.parameters.filter((p) => p.in === "query").map((p) => [p.name, p]),
    );
    const seen = new Set<string>();
    for (const [name, value] of new URLSearchParams(query)) {
      const p = declared.get(name);
      if (p === undefined) problems.push(`unknown query parameter ${name}`);
      else if (seen.has(name)) problems.push(`query ${name} given twice`);
      else
        problems.push(
          ...this.validate(p.schema, decodeScalar(p.schema, value)).map(
            (e) => `query ${name}: ${e}`,
          ),
        );
      seen.add(name);
    }
    for (const p of operation.parameters.filter((p) => p.in === "header")) {
      const value = request.headers[p.name.toLowerCase()];
      if (value === undefined) {
        if (p.required) problems.push(`header ${p.name} missing`);
      } else {
        problems.push(...this.validate(p.schema, value).map((e) => `header ${p.name}: ${e}`));
      }
    }
    if (request.body !== undefined && Buffer.byteLength(request.body) > maxBodyBytes) {
      problems.push("body over the size limit");
    }
    if (operation.body !== undefined) {
      const contentType = request.headers["content-type"];
      const essence = contentType?.split(";")[0]?.trim().toLowerCase();
      const schema = essence === undefined ? undefined : operation.body[essence];
      const charset = /;\s*charset=("?)([^";]*)\1/i.exec(contentType ?? "")?.[2];
      if (schema === undefined) problems.push(`media type ${contentType} not documented`);
      else if (charset !== undefined && charset.toLowerCase() !== "utf-8")
        problems.push(`charset ${charset}`);
      else {
        let value: unknown;
        try {
          value = JSON.parse(request.body ?? "");
        } catch {
          problems.push("body is not JSON");
        }
        if (value !== undefined) {
          problems.push(...this.validate(schema, value).map((e) => `body: ${e}`));
          const properties: Record<string, Json> = this.resolve(schema).properties ?? {};
          for (const [name, sub] of Object.entries(properties)) {
            const linked = sub["x-equals-path-parameter"];
            const sent = (value as Record<string, unknown> | null)?.[name];
            if (linked !== undefined && sent !== undefined && sent !== pathParams[linked]) {
              problems.push(`body ${name} differs from path ${linked}`);
            }
          }
        }
      }
    }
    return problems;
  }

  /** Why the response does not match what the document says the operation answers. */
  responseProblems(request: WireRequest, response: WireResponse): string[] {
    const documented = request.operation.responses[String(response.status)];
    if (documented === undefined) return [`status ${response.status} is not documented`];
    const spec = this.resolve(documented);
    const problems: string[] = [];
    for (const [name, header] of Object.entries(spec.headers ?? {}) as [string, Json][]) {
      const value = response.headers.get(name);
      if (value === null || value === undefined) {
        if (header.required) problems.push(`header ${name} missing`);
        continue;
      }
      problems.push(
        ...this.validate(header.schema, decodeScalar(header.schema, value)).map(
          (e) => `header ${name}: ${e}`,
        ),
      );
    }
    const isHead = request.method === "HEAD";
    if (spec.content === undefined || isHead) {
      if (response.body !== "") problems.push(`a body where none is documented`);
      return problems;
    }
    const type = response.headers.get("content-type") ?? "";
    const essence = type.split(";")[0]?.trim() ?? "";
    const media = spec.content[essence];
    if (media === undefined) return [...problems, `content-type ${type} is not documented`];
    let value: unknown = response.body;
    if (essence.endsWith("json")) {
      try {
        value = JSON.parse(response.body);
      } catch {
        return [...problems, "body is not JSON"];
      }
    }
    problems.push(...this.validate(media.schema, value).map((e) => `body: ${e}`));
    return problems;
  }
}

/** Rewrites local refs so a schema compiled on its own resolves them in the document. */
function rebase(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (schema === null || typeof schema !== "object") return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [
      key,
      key === "$ref" && typeof value === "string" && value.startsWith("#/")
        ? `openapi.json${value}`
        : rebase(value),
    ]),
  );
}

/** A query or header value as the document's type reads it: integers in decimal, else the string. */
export function decodeScalar(schema: Json, value: string): unknown {
  const type = schema?.type;
  if ((type === "integer" || type === "number") && /^-?(0|[1-9][0-9]*)$/.test(value))
    return Number(value);
  return value;
}

/** Puts generated parameter values and a body on the wire. */
export function encodeRequest(
  operation: Operation,
  values: readonly (readonly [Parameter, unknown])[],
  body: readonly [mediaType: string, text: string] | undefined,
): WireRequest {
  let path = operation.path;
  const query = new URLSearchParams();
  const headers: Record<string, string> = {};
  for (const [p, value] of values) {
    if (p.in === "path") path = path.replace(`{${p.name}}`, encodeURIComponent(String(value)));
    else if (p.in === "query") query.append(p.name, String(value));
    else headers[p.name.toLowerCase()] = String(value);
  }
  if (body !== undefined) headers["content-type"] = body[0];
  const search = query.toString();
  return {
    operation,
    method: operation.method,
    target: search === "" ? path : `${path}?${search}`,
    headers,
    ...(body === undefined ? {} : { body: body[1] }),
  };
}
