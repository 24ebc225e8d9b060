import { describe, expect, it } from "vitest";
import { anyOf, promqlSyntaxErrors, selector, substituteVariables } from "./promql.js";

describe("selector", () => {
  it("quotes values and keeps matcher order", () => {
    expect(
      selector("up", [
        { label: "job", value: "userapi" },
        { label: "route", op: "!~", value: 'a"b' },
      ]),
    ).toBe('up{job="userapi",route!~"a\\"b"}');
  });

  it("leaves a bare metric name alone", () => {
    expect(selector("up")).toBe("up");
  });
});

describe("anyOf", () => {
  it("escapes regex metacharacters so each value matches literally", () => {
    expect(anyOf(["/a.b", "c+"])).toBe("/a\\.b|c\\+");
    const re = new RegExp(`^(?:${anyOf(["/a.b", "c+"])})$`);
    expect(re.test("/a.b")).toBe(true);
    expect(re.test("/aXb")).toBe(false);
  });
});

describe("substituteVariables", () => {
  it("replaces the $name, braced and [[name]] forms", () => {
    expect(
      substituteVariables(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's braced variable syntax
        'x{namespace="$namespace",a="${namespace}",b="[[namespace]]"}[$__rate_interval]',
        {
          namespace: "userapi",
          __rate_interval: "1m",
        },
      ),
    ).toBe('x{namespace="userapi",a="userapi",b="userapi"}[1m]');
  });

  it("throws for a variable without a value", () => {
    expect(() => substituteVariables("rate(x[$__range])", {})).toThrow(/\$__range/);
  });
});

describe("promqlSyntaxErrors", () => {
  it("accepts valid PromQL", () => {
    expect(
      promqlSyntaxErrors(
        'histogram_quantile(0.99, sum by (le) (rate(x_bucket{job="a"}[5m]))) > 0.5',
      ),
    ).toEqual([]);
  });

  it("reports unbalanced parentheses, bad matchers and leftover template variables", () => {
    expect(promqlSyntaxErrors("sum(rate(x[5m])")).not.toEqual([]);
    expect(promqlSyntaxErrors('x{job=="a"}')).not.toEqual([]);
    expect(promqlSyntaxErrors("rate(x[$__rate_interval])")).not.toEqual([]);
  });
});
