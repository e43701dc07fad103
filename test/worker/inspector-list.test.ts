/**
 * The inspector's list of recent calls shows each finalized call's duration from the record's object
 * metadata: listing 50 calls never reads 50 records, each of which can be many MiB.
 */
import { reset } from "cloudflare:test";
import { afterEach, expect, it } from "vitest";
import { call, closeSession, fragment, getRecord, say, sendFragment, uniqueId } from "../support/workerd/api.ts";
import { injectR2Faults, type R2Faults } from "../support/workerd/r2-faults.ts";
import { num } from "../../worker/inspect/html.ts";

let faults: R2Faults | undefined;
afterEach(async () => {
  faults?.restore();
  faults = undefined;
  await reset();
});

it("shows a finalized call's duration without reading its record", async () => {
  const id = uniqueId();
  expect((await sendFragment(id, fragment(0, [say("user", "hello", 0, 42_500)]))).status).toBe(200);
  await closeSession(id, { lastSeq: 0 });
  const record = (await (await getRecord(id)).json()) as { durationSeconds: number };
  expect(record.durationSeconds).toBeGreaterThan(40);

  faults = await injectR2Faults({ keyPrefix: "records/" });
  const page = await call("GET", "/inspect");
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain(id);
  // As the page renders it (98210.0 s shows as "98210 s"; toFixed here failed one run in ten).
  expect(html).toContain(`${num(record.durationSeconds, 1)} s`);
  expect(faults.calls.get, "records read while listing").toBe(0);
});
