import { describe, expect, it } from "vitest";
import { clientErrorResponse, invalidRequestResponse } from "./client-error.js";

const headers = { version: "1.2.3", requestId: "rid-1" };

function parse(raw: string) {
  const [head = "", body = ""] = raw.split("\r\n\r\n");
  const [statusLine, ...lines] = head.split("\r\n");
  const fields = Object.fromEntries(lines.map((l) => l.split(": ", 2) as [string, string]));
  return { statusLine, fields, body: JSON.parse(body) };
}

describe("clientErrorResponse", () => {
  it("answers a malformed request with a problem document and closes the connection", () => {
    const { statusLine, fields, body } = parse(
      clientErrorResponse({ code: "HPE_INVALID_METHOD" }, headers) as string,
    );
    expect(statusLine).toBe("HTTP/1.1 400 Bad Request");
    expect(fields["content-type"]).toBe("application/problem+json");
    expect(fields.connection).toBe("close");
    expect(fields["x-app-version"]).toBe("1.2.3");
    expect(fields["x-request-id"]).toBe("rid-1");
    expect(body).toMatchObject({ status: 400, type: "about:blank" });
    expect(Number(fields["content-length"])).toBe(Buffer.byteLength(JSON.stringify(body)));
  });

  it.each([
    ["HPE_HEADER_OVERFLOW", 431],
    ["HPE_REQUEST_TIMEOUT", 408],
    [undefined, 400],
  ])("maps %s to %i", (code, status) => {
    const raw = clientErrorResponse(code === undefined ? {} : { code }, headers) as string;
    expect(parse(raw).body.status).toBe(status);
  });

  it("writes nothing to a client that is already gone", () => {
    expect(clientErrorResponse({ code: "ECONNRESET" }, headers)).toBeUndefined();
  });
});

describe("invalidRequestResponse", () => {
  it("is a 400 problem document with the version and request id", async () => {
    const response = invalidRequestResponse(headers);
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(response.headers.get("x-request-id")).toBe("rid-1");
    expect(await response.json()).toMatchObject({ status: 400, type: "about:blank" });
  });
});
