import { reset } from "cloudflare:test";
import { afterEach, expect, it } from "vitest";
import { gzip } from "../support/gzip.ts";
import { at, call, closeSession, fragment, getRecord, sendFragment, uniqueId } from "../support/workerd/api.ts";

afterEach(() => reset());

const longLines = (count: number, from: number) =>
  Array.from({ length: count }, (_, i) => ({
    kind: "transcript",
    role: "user",
    text: `${from + i}:`.padEnd(64_000, "x"),
    startedAt: at(from + i),
    endedAt: at(from + i + 1),
  }));

it("stores a gzip fragment of about 3 MiB decompressed (over the 2 MB row limit) and finalizes it whole", async () => {
  const id = uniqueId();
  const body = await gzip(JSON.stringify(fragment(0, longLines(50, 0))));
  expect(body.byteLength).toBeLessThan(1024 * 1024);
  const res = await call("POST", `/v1/sessions/${id}/fragments`, body, undefined, { "content-encoding": "gzip" });
  expect(res.status).toBe(200);
  await closeSession(id, { lastSeq: 0 });
  const record = (await (await getRecord(id)).json()) as { transcript: { text: string }[] };
  expect(record.transcript).toHaveLength(50);
  expect(record.transcript.map((t) => t.text.split(":")[0])).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
});

it("answers 413 naming the eventBytes cap once a session's events would pass 16 MiB, keeping every event accepted before", async () => {
  const id = uniqueId();
  let seq = 0;
  for (; seq < 10; seq++) {
    const body = await gzip(JSON.stringify(fragment(seq, longLines(50, seq * 50))));
    const res = await call("POST", `/v1/sessions/${id}/fragments`, body, undefined, { "content-encoding": "gzip" });
    if (res.status === 413) {
      expect(await res.json()).toMatchObject({
        error: "session_limit_exceeded",
        detail: expect.stringMatching(/eventBytes cap/),
      });
      break;
    }
    expect(res.status).toBe(200);
  }
  expect(seq).toBe(5);
  const closed = (await (await closeSession(id, { lastSeq: seq - 1 })).json()) as { state: string };
  expect(closed.state).toBe("finalized");
  const record = (await (await getRecord(id)).json()) as { transcript: unknown[] };
  expect(record.transcript).toHaveLength(seq * 50);
});

it("answers 413 naming the events cap past 100,000 events in a session", async () => {
  const id = uniqueId();
  const logs = Array.from({ length: 1000 }, (_, i) => ({ kind: "log", level: "info", message: `m${i}`, time: at(i) }));
  for (let seq = 0; seq < 100; seq++) expect((await sendFragment(id, fragment(seq, logs))).status).toBe(200);
  const over = await sendFragment(id, fragment(100, logs.slice(0, 1)));
  expect(over.status).toBe(413);
  expect(await over.json()).toMatchObject({
    error: "session_limit_exceeded",
    detail: expect.stringMatching(/events cap/),
  });
}, 120_000);
