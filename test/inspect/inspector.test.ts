/// <reference lib="dom" />
/**
 * The inspector in a real browser (Debian's chromium via playwright-core) against the real local Worker:
 * a demo call recorded through the SDK shows its transcript, tool calls, recording and trace;
 * another tenant's key reaches nothing; recorded text cannot inject markup. The key is entered in the
 * login form only (never in a URL), the cookie holds a signed token (never the key), a login posted from
 * another site is refused, and every page runs under a CSP without 'unsafe-inline' with no violation.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CekuraTracer } from "../../sdk/index.ts";
import { runDemoCall, type DemoCallResult } from "../../worker/local/demo-call.ts";
import { DEMO_TURNS } from "../../worker/local/demo-script.ts";
import { REPO_ROOT, startLocalWorker, type LocalWorker } from "../../worker/local/local-worker.ts";

const KEY = `inspector-key-${crypto.randomUUID()}`;
const OTHER_KEY = `other-tenant-${crypto.randomUUID()}`;
const OUT = join(REPO_ROOT, "test-output");
const HOSTILE = `<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2"> & "quotes"`;

let worker: LocalWorker;
let browser: Browser;
let demo: DemoCallResult;
let hostileId: string;
let liveId: string;

beforeAll(async () => {
  worker = await startLocalWorker();
  demo = await runDemoCall({ ingestUrl: worker.url, apiKey: KEY, speedup: 40 });

  const tracer = new CekuraTracer({ apiKey: KEY, agentId: 7, ingestUrl: worker.url });
  const s = tracer.observe({ customMetadata: { note: HOSTILE } });
  s.transcript({ role: "user", text: HOSTILE });
  s.toolCall({ id: "t1", name: "search", arguments: { q: HOSTILE } });
  s.toolResult({ id: "t1", result: HOSTILE });
  s.log("info", HOSTILE, { html: HOSTILE });
  hostileId = s.id;
  await s.close();

  // A live call (flushed, not closed): listed from the tenant index before any record exists.
  const live = tracer.observe();
  live.transcript({ role: "user", text: "still talking" });
  await live.flush();
  liveId = live.id;

  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  mkdirSync(OUT, { recursive: true });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
});

/** Every URL the browser requested and every CSP violation it reported, per page. */
interface Watched {
  urls: string[];
  violations: string[];
}
function watch(page: Page): Watched {
  const watched: Watched = { urls: [], violations: [] };
  page.on("request", (r) => watched.urls.push(r.url()));
  page.on("console", (m) => {
    if (/Content.Security.Policy|Refused to (execute|apply|load)/i.test(m.text())) watched.violations.push(m.text());
  });
  return watched;
}

/** Signs in through the login form, as a person would: the key is typed, never put in a URL. */
async function signIn(context: BrowserContext, key: string): Promise<{ page: Page; watched: Watched }> {
  const page = await context.newPage();
  page.setDefaultTimeout(90_000);
  const watched = watch(page);
  const first = await page.goto(`${worker.url}/inspect`);
  expect(first?.status()).toBe(401);
  await page.fill('input[name="key"]', key);
  // The form posts to /inspect/login, which answers 303 to /inspect with the cookie set.
  const [login] = await Promise.all([
    page.waitForResponse((r) => r.url() === `${worker.url}/inspect/login` && r.request().method() === "POST"),
    page.waitForResponse(
      (r) => r.url() === `${worker.url}/inspect` && r.request().method() === "GET" && r.status() === 200,
    ),
    page.click('form.login button[type="submit"]'),
  ]);
  expect(login.status()).toBe(303);
  await page.waitForLoadState();
  return { page, watched };
}

function expectNoKeyInUrlsAndNoViolations(watched: Watched, key: string) {
  expect(watched.urls.length).toBeGreaterThan(0);
  for (const url of watched.urls) expect(url).not.toContain(encodeURIComponent(key));
  expect(watched.violations).toEqual([]);
}

// The machine may be busy (2 cores shared): generous time, no timing asserts.
describe("inspector", { timeout: 150_000 }, () => {
  it("records the demo call through the SDK and finalizes it", () => {
    expect(demo.state).toBe("finalized");
    expect(demo.audioSeconds).toBeGreaterThan(60);
  });

  it("signs in with the login form into a signed HttpOnly SameSite=Strict cookie (not the key) and lists the tenant's sessions", async () => {
    const context = await browser.newContext();
    const { page, watched } = await signIn(context, KEY);
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: "cekura_inspect", httpOnly: true, sameSite: "Strict", path: "/inspect" });
    expect(cookie!.value).not.toContain(KEY);
    expect(await page.content()).not.toContain(KEY);
    const headers = (await page.request.get(`${worker.url}/inspect`)).headers();
    expect(headers["content-security-policy"]).not.toContain("unsafe-inline");

    const rows = page.locator("tr.session-row");
    expect(await rows.count()).toBe(3);
    expect(await page.locator(`tr.session-row[data-session="${liveId}"]`).textContent()).toContain("open");
    const demoRow = page.locator(`tr.session-row[data-session="${demo.sessionId}"]`);
    expect(await demoRow.textContent()).toContain("finalized");
    expect(await demoRow.textContent()).toContain("observe");
    expect(await demoRow.textContent()).toContain("granted");
    expectNoKeyInUrlsAndNoViolations(watched, KEY);
    await context.close();
  });

  it("refuses a key in a URL and a login form posted from another site (no cookie is set)", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(90_000);
    const inUrl = await page.goto(`${worker.url}/inspect?key=${encodeURIComponent(KEY)}`);
    expect(inUrl?.status()).toBe(400);
    expect(await context.cookies()).toEqual([]);
    // A page of another origin that posts its own key to our login (login CSRF).
    await page.route("http://evil.test/**", (route) =>
      route.fulfill({
        contentType: "text/html",
        body: `<form id="f" method="post" action="${worker.url}/inspect/login"><input name="key" value="${OTHER_KEY}"></form>`,
      }),
    );
    await page.goto("http://evil.test/");
    const [answer] = await Promise.all([
      page.waitForResponse(`${worker.url}/inspect/login`),
      page.evaluate(() => (document.getElementById("f") as HTMLFormElement).submit()),
    ]);
    expect(answer.status()).toBe(403);
    expect(await context.cookies(worker.url)).toEqual([]);
    await context.close();
  });

  it("shows one call: transcript, tool calls, recording with waveforms, and the trace waterfall", async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const { page, watched } = await signIn(context, KEY);
    await page.click(`a[href="/inspect/${demo.sessionId}"]`);
    await page.waitForURL(`**/inspect/${demo.sessionId}`);

    // Transcript: every user and assistant line with a UTC time and the speaker.
    const rows = page.locator("tr.transcript-row");
    expect(await rows.count()).toBe(DEMO_TURNS.length * 2);
    const first = await rows.nth(0).textContent();
    expect(first).toContain("user");
    expect(first).toContain(DEMO_TURNS[0]!.user);
    expect(first).toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/);
    expect(await rows.nth(1).getAttribute("data-role")).toBe("assistant");
    expect(await page.locator('tr.transcript-row[data-role="assistant"]').allTextContents()).toContainEqual(
      expect.stringContaining("latest estimate is"),
    );

    // Tool calls with arguments and results.
    const tool = page.locator('tr.tool-row[data-tool="lookup_order"]');
    expect(await tool.locator(".tool-args").textContent()).toContain('"orderId": "AB4719"');
    expect(await tool.locator(".tool-result").textContent()).toContain('"carrier": "Parcelway"');
    expect(await page.locator("tr.tool-row").count()).toBe(2);

    // The recording plays from the Worker (Range requests) and lasts the whole call.
    const duration = await page.evaluate(
      () =>
        new Promise<number>((resolve, reject) => {
          const audio = document.querySelector("audio") as HTMLAudioElement;
          if (audio.readyState >= 1) return resolve(audio.duration);
          audio.addEventListener("loadedmetadata", () => resolve(audio.duration));
          audio.addEventListener("error", () => reject(new Error(`audio error ${audio.error?.code}`)));
          audio.load();
        }),
    );
    expect(duration).toBeGreaterThan(60);
    expect(Math.abs(duration - demo.audioSeconds)).toBeLessThan(5);
    expect(await page.locator(".wave[data-channel=user] svg polygon").count()).toBe(1);
    expect(await page.locator(".wave[data-channel=assistant] svg polygon").count()).toBe(1);
    // The page's script runs under the CSP: a transcript row seeks the player.
    const offset = Number(await rows.nth(4).getAttribute("data-offset"));
    await rows.nth(4).click();
    await page.waitForFunction(
      (want) => Math.abs((document.querySelector("audio") as HTMLAudioElement).currentTime - want) < 1,
      offset,
    );

    // The trace: conversation, eight turns, stt/llm/tts bars with a visible width, TTFB shading.
    expect(await page.locator(".bar.conversation").count()).toBe(1);
    expect(await page.locator(".bar.turn").count()).toBe(DEMO_TURNS.length);
    for (const kind of ["stt", "llm", "tts"]) {
      const bars = page.locator(`.bar.${kind}`);
      expect(await bars.count()).toBe(DEMO_TURNS.length);
      const box = await bars.first().boundingBox();
      expect(box?.width ?? 0).toBeGreaterThan(0);
    }
    expect(await page.locator(".bar.llm .ttfb").count()).toBe(DEMO_TURNS.length);
    expect(await page.locator(".bar.tool_call").count()).toBe(2);
    expect(await page.locator('.span-row[data-span="turn"]').allTextContents()).toContainEqual(
      expect.stringContaining("interrupted"),
    );

    // Logs and metadata.
    expect(await page.locator("tr.log-row").allTextContents()).toContainEqual(
      expect.stringContaining("user interrupted the assistant"),
    );
    expect(await page.locator("#metadata").textContent()).toContain('"resolution": "upgraded_to_express"');

    await page.screenshot({ path: join(OUT, "inspector-call.png"), fullPage: true });
    expectNoKeyInUrlsAndNoViolations(watched, KEY);
    await context.close();
  });

  it("shows recorded text as text, never as markup", async () => {
    const context = await browser.newContext();
    const { page } = await signIn(context, KEY);
    await page.goto(`${worker.url}/inspect/${hostileId}`);
    expect(await page.locator("tr.transcript-row").first().textContent()).toContain(HOSTILE);
    expect(await page.locator(".tool-result").textContent()).toContain("window.__xss");
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator("main img, main script").count()).toBe(0);
    await context.close();
  });

  it("gives another tenant's key nothing: no list entries, no call page, no audio", async () => {
    const context = await browser.newContext();
    const { page } = await signIn(context, OTHER_KEY);
    expect(await page.locator("tr.session-row").count()).toBe(0);
    expect(await page.content()).not.toContain(demo.sessionId);
    const call = await page.goto(`${worker.url}/inspect/${demo.sessionId}`);
    expect(call?.status()).toBe(404);
    expect(await page.content()).not.toContain("Parcelway");
    const audio = await context.request.get(`${worker.url}/inspect/${demo.sessionId}/audio.wav`, {
      headers: { range: "bytes=0-99" },
    });
    expect(audio.status()).toBe(404);
    await context.close();
  });

  it("asks for a key when none is given, and serves ranges of the recording", async () => {
    const anonymous = await fetch(`${worker.url}/inspect/${demo.sessionId}`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain("Parcelway");
    const range = await fetch(`${worker.url}/inspect/${demo.sessionId}/audio.wav`, {
      headers: { authorization: `Bearer ${KEY}`, range: "bytes=0-43" },
    });
    expect(range.status).toBe(206);
    const header = new Uint8Array(await range.arrayBuffer());
    expect(header.byteLength).toBe(44);
    expect(new TextDecoder().decode(header.subarray(0, 4))).toBe("RIFF");
    expect(range.headers.get("content-range")).toMatch(/^bytes 0-43\/\d+$/);
  });
});
