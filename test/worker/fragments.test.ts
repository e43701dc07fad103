import { reset } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { closeSession, fragment, getRecord, getStatus, say, sendFragment, uniqueId } from "../support/workerd/api.ts";

afterEach(() => reset());

describe("fragments", () => {
  it("acknowledges a repeated seq with the same body again without storing it twice", async () => {
    const id = uniqueId();
    const f = fragment(0, [say("user", "hello", 0)]);
    const first = await sendFragment(id, f);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ ackedThrough: 0, missing: [], state: "open" });
    const again = await sendFragment(id, { ...f, sentAt: new Date().toISOString().replace(/\.\d+Z$/, ".000Z") });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ ackedThrough: 0, missing: [], state: "open" });
    const status = (await (await getStatus(id)).json()) as { counts: { fragments: number; events: number } };
    expect(status.counts).toMatchObject({ fragments: 1, events: 1 });
  });

  it("rejects a repeated seq with a different body with 409 and keeps the first", async () => {
    const id = uniqueId();
    await sendFragment(id, fragment(0, [say("user", "original", 0)]));
    const conflict = await sendFragment(id, fragment(0, [say("user", "changed", 0)]));
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({ error: "fragment_conflict" });
    await closeSession(id, { lastSeq: 0 });
    const record = (await (await getRecord(id)).json()) as { transcript: { text: string }[] };
    expect(record.transcript.map((t) => t.text)).toEqual(["original"]);
  });

  it("keeps out-of-order seqs, reports the gap, and orders the transcript by time at finalization", async () => {
    const id = uniqueId();
    let ack = await (await sendFragment(id, fragment(2, [say("user", "third", 4000)]))).json();
    expect(ack).toEqual({ ackedThrough: -1, missing: [0, 1], state: "open" });
    ack = await (await sendFragment(id, fragment(0, [say("user", "first", 0)]))).json();
    expect(ack).toEqual({ ackedThrough: 0, missing: [1], state: "open" });
    ack = await (await sendFragment(id, fragment(1, [say("assistant", "second", 2000)]))).json();
    expect(ack).toEqual({ ackedThrough: 2, missing: [], state: "open" });
    const closed = await closeSession(id, { lastSeq: 2, reason: "customer-ended-call" });
    expect(((await closed.json()) as { state: string }).state).toBe("finalized");
    const record = (await (await getRecord(id)).json()) as {
      transcript: { text: string; role: string }[];
      endedReason: string;
    };
    expect(record.transcript.map((t) => t.text)).toEqual(["first", "second", "third"]);
    expect(record.endedReason).toBe("customer-ended-call");
  });

  it("rejects a fragment that would switch the session's mode or agent", async () => {
    const id = uniqueId();
    await sendFragment(id, fragment(0));
    const res = await sendFragment(id, fragment(1, [], { mode: "track" }));
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: "session_conflict" });
    const res2 = await sendFragment(id, fragment(1, [], { agentId: 7 }));
    expect(res2.status).toBe(409);
  });
});
