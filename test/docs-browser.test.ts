/**
 * `/docs` in a real browser: headless Debian Chromium driven by
 * playwright-core against the server process. The page must render every
 * user operation from /openapi.json, "Try it out" + "Execute" on GET /health
 * must show a 200, "Authorize" with a real bearer token must make a user
 * operation answer 200 where it answered 401, and nothing may break: no console errors, no CSP
 * violations, no request to any origin but the server. A screenshot lands in
 * artifacts/docs.png (gitignored; CI can upload it).
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type ApiProcess, REPO_ROOT, startApi } from "./support/api-process.js";
import { createTestKey, fileAuthEnv, jwksFile, jwksOf, mint } from "./support/auth.js";

const CHROMIUM = "/usr/bin/chromium";
/** Flags for Debian's Chromium in containers and CI (see NOTES.md). */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
const SCREENSHOT = join(REPO_ROOT, "artifacts", "docs.png");

const USER_OPERATIONS = [
  "POST /user",
  "GET /user",
  "GET /user/{username}",
  "PUT /user/{username}",
  "PATCH /user/{username}",
  "DELETE /user/{username}",
];

describe("GET /docs in headless Chromium", () => {
  let api: ApiProcess;
  let browser: Browser | undefined;
  let page: Page;
  const consoleErrors: string[] = [];
  const foreignRequests: string[] = [];
  const failedRequests: string[] = [];
  let jwks: ReturnType<typeof jwksFile>;
  let readerToken: string;
  const username = `docs.${Date.now().toString(36)}`;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}: install it with apt-get install -y chromium`,
      );
    }
    // Run the server the way production does: with Redis and authentication on.
    const key = await createTestKey("ES256");
    jwks = jwksFile(jwksOf(key));
    readerToken = await mint(key, { sub: "docs-reader", scope: "users:read" });
    api = await startApi({
      env: { REDIS_URL: inject("redisUrl"), LOG_LEVEL: "warn", ...fileAuthEnv(jwks.path) },
    });
    const created = await fetch(`${api.baseUrl}/user`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${await mint(key, { scope: "users:write" })}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ username, firstname: "Doc", lastname: "Reader" }),
    });
    expect(created.status).toBe(201);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const origin = new URL(api.baseUrl).origin;
    // Anything off-origin is recorded and blocked, so the test never depends on the network.
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith("data:") || new URL(url).origin === origin) return route.continue();
      foreignRequests.push(url);
      return route.abort();
    });
    // CSP violations also surface as console errors; the event catches them with their directive.
    await context.addInitScript({
      // A string, not a function: this project compiles without the DOM library.
      content: `document.addEventListener("securitypolicyviolation", (event) =>
        console.error("CSP violation: " + event.violatedDirective + " blocked " + event.blockedURI));`,
    });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(`page error: ${error.message}`));
    page.on("requestfailed", (request) => {
      if (!foreignRequests.includes(request.url())) {
        failedRequests.push(`${request.url()}: ${request.failure()?.errorText}`);
      }
    });
    const response = await page.goto(`${api.baseUrl}/docs`, { waitUntil: "networkidle" });
    expect(response?.status()).toBe(200);
    // A page that never renders is reported by the tests below, with the console errors that explain it.
    await page
      .locator(".opblock")
      .first()
      .waitFor({ timeout: 10_000 })
      .catch(() => undefined);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    jwks?.remove();
  });

  it("lists every user operation from /openapi.json", async () => {
    const operations = await page
      .locator(".opblock-summary")
      .evaluateAll((blocks) =>
        blocks.map(
          (block) =>
            `${block.querySelector(".opblock-summary-method")?.textContent?.trim()} ` +
            `${block.querySelector(".opblock-summary-path")?.getAttribute("data-path") ?? block.querySelector(".opblock-summary-path")?.textContent?.trim()}`,
        ),
      );
    expect(
      operations.length,
      `nothing rendered; console: ${consoleErrors.join(" | ")}`,
    ).toBeGreaterThan(0);
    for (const operation of USER_OPERATIONS) expect(operations).toContain(operation);
    expect(operations).toContain("GET /health");
  });

  it("runs GET /health with Try it out and Execute, and shows the 200", async () => {
    const health = page.locator(".opblock-get", {
      has: page.locator('.opblock-summary-path[data-path="/health"]'),
    });
    await health.locator(".opblock-summary").click();
    await health.getByRole("button", { name: "Try it out" }).click();
    await health.getByRole("button", { name: "Execute" }).click();
    const status = health.locator(".live-responses-table tr.response .response-col_status").first();
    await expect
      .poll(async () => (await status.textContent())?.trim(), { timeout: 10_000 })
      .toBe("200");
    await expect
      .poll(async () => health.locator(".live-responses-table .microlight").first().textContent())
      .toContain('"status": "ok"');

    mkdirSync(join(REPO_ROOT, "artifacts"), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
    // Executing a request broke nothing either.
    expect(consoleErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
  });

  it("calls GET /user/{username} with the token pasted into Authorize (401 before, 200 after)", async () => {
    const getUser = page.locator(".opblock-get", {
      has: page.locator('.opblock-summary-path[data-path="/user/{username}"]'),
    });
    await getUser.locator(".opblock-summary").click();
    await getUser.getByRole("button", { name: "Try it out" }).click();
    await getUser.locator('input[placeholder="username"]').fill(username);
    const status = getUser
      .locator(".live-responses-table tr.response .response-col_status")
      .first();
    const execute = async () => {
      await getUser.getByRole("button", { name: "Execute" }).click();
      await expect
        .poll(async () => (await status.textContent())?.trim(), { timeout: 10_000 })
        .toMatch(/^\d{3}$/);
      return (await status.textContent())?.trim();
    };
    expect(await execute()).toBe("401");
    // Chromium logs every 4xx fetch as a console error: this one is expected, and the only one.
    expect(consoleErrors).toEqual([expect.stringMatching(/status of 401/)]);
    consoleErrors.length = 0;

    await page.locator(".auth-wrapper .authorize").click();
    const dialog = page.locator(".modal-ux");
    await dialog.locator("input").first().fill(readerToken);
    await dialog.locator("button.modal-btn.authorize").click();
    await dialog.locator("button.btn-done").click();

    await getUser.getByRole("button", { name: "Clear" }).click();
    expect(await execute()).toBe("200");
    await expect
      .poll(async () => getUser.locator(".live-responses-table .microlight").first().textContent())
      .toContain(`"username": "${username}"`);
    // Swagger UI sent the token the way RFC 6750 says.
    await expect
      .poll(async () => getUser.locator(".curl-command, .request-url").first().textContent())
      .toBeTruthy();
    const curl = await getUser.locator(".curl-command").first().textContent();
    expect(curl).toContain(`Authorization: Bearer ${readerToken}`);
  });

  it("loads with no console error, no CSP violation and no request off the server", () => {
    expect(consoleErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
    expect(failedRequests).toEqual([]);
  });
});
