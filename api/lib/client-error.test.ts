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
    [
      "HPE_HEADER_OVERFLOW",
      "GET / HTTP/1.1\r\nX-Big: aaaa",
      431,
      "Request Header Fields Too Large",
    ],
    ["HPE_HEADER_OVERFLOW", `GET /${"a".repeat(9000)}`, 414, "URI Too Long"],
    ["HPE_REQUEST_TIMEOUT", "", 408, "Request Timeout"],
    ["ERR_HTTP_REQUEST_TIMEOUT", "", 408, "Request Timeout"],
    ["HPE_INVALID_METHOD", "BREW /user HTTP/1.1\r\nHost: x", 501, "Not Implemented"],
    ["HPE_INVALID_METHOD", "G\u0000T /user HTTP/1.1\r\n", 400, "Bad Request"],
    [undefined, "", 400, "Bad Request"],
  ])("maps %s (%j) to %i %s, with the headers of every response", (code, packet, status, title) => {
    const error = {
      ...(code === undefined ? {} : { code }),
      rawPacket: Buffer.from(packet, "latin1"),
    };
    const { statusLine, fields, body } = parse(clientErrorResponse(error, headers) as string);
    expect(statusLine).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
    expect(body).toMatchObject({ status, title });
    expect(fields["content-security-policy"]).toMatch(/^default-src 'none'/);
    expect(fields["strict-transport-security"]).toBeDefined();
    expect(fields["x-frame-options"]).toBe("DENY");
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
