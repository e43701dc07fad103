/**
 * Privacy settings on the real Worker (wrangler dev on workerd, 127.0.0.1):
 * - configured as wrangler.toml deploys it (top level and every [env.*]), with no API key list, the
 *   Worker refuses data (503) instead of storing whatever anyone sends;
 * - with a short RETENTION_DAYS a finalized call is erased by its own alarm once past its age, and its
 *   tombstone after that (real time, no clock tricks).
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { experimental_readRawConfig, unstable_readConfig } from "wrangler";
import { REPO_ROOT, startLocalWorker, type LocalWorker } from "../../worker/local/local-worker.ts";
import { listStoredKeys } from "../support/r2-read.ts";

const CONFIG = join(REPO_ROOT, "wrangler.toml");
const KEY = `deployment-key-${crypto.randomUUID()}`;
const workers: LocalWorker[] = [];
afterAll(async () => {
  for (const w of workers) await w.stop();
});

const post = (w: LocalWorker, path: string, body: unknown) =>
  fetch(`${w.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
const at = (ms: number) => new Date(Date.now() - 60_000 + ms).toISOString();
const fragment = {
  agentId: 42,
  mode: "observe",
  seq: 0,
  sentAt: at(0),
  events: [{ kind: "transcript", role: "user", text: "hello", startedAt: at(0), endedAt: at(500) }],
};

/** The key settings of every environment wrangler.toml deploys: the top level and each [env.<name>]. */
function deployedKeySettings(): { env: string; API_KEY_HASHES: string; ALLOW_ANY_KEY: string }[] {
  const raw = experimental_readRawConfig({ config: CONFIG }).rawConfig as { env?: Record<string, unknown> };
  return [undefined, ...Object.keys(raw.env ?? {})].map((env) => {
    const vars = (unstable_readConfig({ config: CONFIG, env }).vars ?? {}) as Record<string, unknown>;
    return {
      env: env ?? "(top level)",
      API_KEY_HASHES: String(vars.API_KEY_HASHES ?? ""),
      ALLOW_ANY_KEY: String(vars.ALLOW_ANY_KEY ?? ""),
    };
  });
}

describe("privacy settings on the real Worker", { timeout: 180_000 }, () => {
  it("a Worker configured as wrangler.toml deploys it, with no key list, refuses data", async () => {
    const settings = deployedKeySettings();
    for (const s of settings)
      expect(s.ALLOW_ANY_KEY, `${s.env}: ALLOW_ANY_KEY must not be true in a deployed configuration`).not.toBe("true");
    const open = settings.find((s) => s.API_KEY_HASHES.trim() === "");
    expect(open, "wrangler.toml ships without a key list, so this case applies").toBeDefined();
    const w = await startLocalWorker({
      vars: { API_KEY_HASHES: open!.API_KEY_HASHES, ALLOW_ANY_KEY: open!.ALLOW_ANY_KEY || "false" },
    });
    workers.push(w);
    const refused = await post(w, `/v1/sessions/open-door-${crypto.randomUUID()}/fragments`, fragment);
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: "api_keys_not_configured" });
    expect((await fetch(`${w.url}/healthz`)).status).toBe(200);
    await w.stop();
    expect(await listStoredKeys(w.persistTo, "")).toEqual([]);
  });

  it("with RETENTION_DAYS of a few seconds, a finalized call is erased when it is past its age, then its tombstone", async () => {
    // 0.0001 days = 8.6 s: long enough to see the tombstone between the two steps on a busy machine.
    const w = await startLocalWorker({ vars: { RETENTION_DAYS: "0.0001" } });
    workers.push(w);
    const id = `retention-${crypto.randomUUID()}`;
    expect((await post(w, `/v1/sessions/${id}/fragments`, fragment)).status).toBe(200);
    const closed = (await (await post(w, `/v1/sessions/${id}/close`, { lastSeq: 0 })).json()) as { state: string };
    expect(closed.state).toBe("finalized");
    expect(
      (await fetch(`${w.url}/v1/sessions/${id}/record`, { headers: { authorization: `Bearer ${KEY}` } })).status,
    ).toBe(200);

    const states: string[] = [];
    const deadline = Date.now() + 60_000;
    for (;;) {
      const res = await fetch(`${w.url}/v1/sessions/${id}`, { headers: { authorization: `Bearer ${KEY}` } });
      const state = res.status === 404 ? "gone" : ((await res.json()) as { state: string }).state;
      if (states.at(-1) !== state) states.push(state);
      if (state === "gone" || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(states).toEqual(["finalized", "erased", "gone"]);
    await w.stop();
    expect((await listStoredKeys(w.persistTo, "")).filter((k) => k.includes(id))).toEqual([]);
  });
});
