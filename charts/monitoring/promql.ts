/**
 * Small, pure PromQL helpers: a selector builder (so label matchers are quoted
 * one way everywhere), Grafana variable substitution, and a syntax check built
 * on Prometheus's own Lezer grammar.
 */
import { parser } from "@prometheus-io/lezer-promql";

/** A label matcher: `=` by default. */
export interface Matcher {
  readonly label: string;
  readonly value: string;
  readonly op?: "=" | "!=" | "=~" | "!~";
}

function quote(value: string): string {
  return JSON.stringify(value);
}

/** `metric{a="b",c!~"d|e"}`; matchers keep their order. */
export function selector(metric: string, matchers: readonly Matcher[] = []): string {
  if (matchers.length === 0) return metric;
  const inner = matchers.map((m) => `${m.label}${m.op ?? "="}${quote(m.value)}`).join(",");
  return `${metric}{${inner}}`;
}

/** A regex alternation that matches exactly the given literal strings. */
export function anyOf(values: readonly string[]): string {
  return values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");
}

/**
 * Replaces Grafana template variables (`$name`, `${name}`, `[[name]]`) with the
 * given values; throws when the expression uses one that has no value, so a
 * test cannot silently send `$namespace` to Prometheus.
 */
export function substituteVariables(
  expr: string,
  values: Readonly<Record<string, string>>,
): string {
  return expr.replace(
    /\$\{(\w+)\}|\$(\w+)|\[\[(\w+)\]\]/g,
    (match, braced?: string, bare?: string, legacy?: string) => {
      const name = braced ?? bare ?? legacy ?? "";
      const value = values[name];
      if (value === undefined) throw new Error(`no value for template variable ${match}`);
      return value;
    },
  );
}

/** A syntax error found by the PromQL grammar: offset into the expression and the text around it. */
export interface PromqlSyntaxError {
  readonly from: number;
  readonly near: string;
}

/** Syntax errors of a PromQL expression (empty when it parses cleanly). */
export function promqlSyntaxErrors(expr: string): PromqlSyntaxError[] {
  const errors: PromqlSyntaxError[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) {
        errors.push({
          from: node.from,
          near: expr.slice(Math.max(0, node.from - 10), node.to + 10),
        });
      }
    },
  });
  return errors;
}
