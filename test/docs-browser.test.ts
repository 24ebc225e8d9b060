/**
 * `/docs` in a real browser: headless Debian Chromium driven by
 * playwright-core against the server process. The page must render every
 * user operation from /openapi.json, "Try it out" + "Execute" on GET /health
 * must show a 200, and nothing may break: no console errors, no CSP
 * violations, no request to any origin but the server. A screenshot lands in
 * artifacts/docs.png (gitignored; CI can upload it).
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type ApiProcess, REPO_ROOT, startApi } from "./support/api-process.js";

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

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}: install it with apt-get install -y chromium`,
      );
    }
    // The docs need no data, but run the server the way production does: with Redis.
    api = await startApi({ env: { REDIS_URL: inject("redisUrl"), LOG_LEVEL: "warn" } });
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

  it("loads with no console error, no CSP violation and no request off the server", () => {
    expect(consoleErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
    expect(failedRequests).toEqual([]);
  });
});
