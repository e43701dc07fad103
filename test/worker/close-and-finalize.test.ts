import { abortAllDurableObjects, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { isolateEachTest } from "../support/workerd/isolation.ts";
import {
  at,
  call,
  closeSession,
  fragment,
  getRecord,
  getStatus,
  say,
  sendFragment,
  uniqueId,
} from "../support/workerd/api.ts";
import { editStoredMeta, sessionStubOf } from "../support/workerd/session-do.ts";

isolateEachTest();

describe("close and finalization", () => {
  it("waits in closing for a missing seq and finalizes when it arrives", async () => {
    const id = uniqueId();
    await sendFragment(id, fragment(0, [say("user", "a", 0)]));
    await sendFragment(id, fragment(2, [say("user", "c", 2000)]));
    const closing = (await (await closeSession(id, { lastSeq: 2, reason: "customer-ended-call" })).json()) as any;
    expect(closing.state).toBe("closing");
    expect(closing.counts.missing).toEqual([1]);
    const ack = (await (await sendFragment(id, fragment(1, [say("assistant", "b", 1000)]))).json()) as any;
    expect(ack).toEqual({ ackedThrough: 2, missing: [], state: "finalized" });
    const record = (await (await getRecord(id)).json()) as any;
    expect(record.transcript.map((t: any) => t.text)).toEqual(["a", "b", "c"]);
    expect(record.fragments).toEqual({ received: 3, lastSeq: 2, missing: [] });
  });

  it("finalizes after the grace time with the missing seqs named in the record", async () => {
    const id = uniqueId();
    await sendFragment(id, fragment(0, [say("user", "a", 0)]));
    await closeSession(id, { lastSeq: 3 });
    const stub = await sessionStubOf(id);
    // Before the deadline the alarm leaves the session closing.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(((await (await getStatus(id)).json()) as any).state).toBe("closing");
    await editStoredMeta(id, (meta) => (meta.close.deadline = Date.now() - 1));
    await abortAllDurableObjects();
    expect(await runDurableObjectAlarm(await sessionStubOf(id))).toBe(true);
    const status = (await (await getStatus(id)).json()) as any;
    expect(status.state).toBe("finalized");
    const record = (await (await getRecord(id)).json()) as any;
    expect(record.fragments).toEqual({ received: 1, lastSeq: 3, missing: [1, 2, 3] });
    expect(record.transcript).toHaveLength(1);
  });

  it("finalizes an idle session from its alarm with reason idle-timeout", async () => {
    const id = uniqueId();
    await sendFragment(id, fragment(0, [say("user", "anyone there?", 0)]));
    const stub = await sessionStubOf(id);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(((await (await getStatus(id)).json()) as any).state).toBe("open");
    await editStoredMeta(id, (meta) => (meta.lastActivityAt = Date.now() - 3_600_000));
    await abortAllDurableObjects();
    expect(await runDurableObjectAlarm(await sessionStubOf(id))).toBe(true);
    const status = (await (await getStatus(id)).json()) as any;
    expect(status).toMatchObject({ state: "finalized", endedReason: "idle-timeout" });
    const record = (await (await getRecord(id)).json()) as any;
    expect(record.endedReason).toBe("idle-timeout");
    expect(record.transcript[0].text).toBe("anyone there?");
  });

  it("rebuilds a session from storage after eviction mid-session and continues", async () => {
    const id = uniqueId();
    await sendFragment(id, fragment(0, [say("user", "before", 0)]));
    await sendFragment(
      id,
      fragment(1, [{ kind: "tool_call", id: "t1", name: "lookup", arguments: '{"q":1}', time: at(500) }]),
    );
    await abortAllDurableObjects();
    const ack = (await (
      await sendFragment(
        id,
        fragment(2, [
          { kind: "tool_result", id: "t1", result: '"ok"', isError: false, time: at(900) },
          say("assistant", "after", 1000),
        ]),
      )
    ).json()) as any;
    expect(ack).toEqual({ ackedThrough: 2, missing: [], state: "open" });
    await abortAllDurableObjects();
    const closed = (await (await closeSession(id, { lastSeq: 2 })).json()) as any;
    expect(closed.state).toBe("finalized");
    const record = (await (await getRecord(id)).json()) as any;
    expect(record.transcript.map((t: any) => t.text)).toEqual(["before", "after"]);
    expect(record.toolCalls).toEqual([
      {
        id: "t1",
        name: "lookup",
        arguments: '{"q":1}',
        calledAt: at(500),
        result: '"ok"',
        isError: false,
        resultAt: at(900),
      },
    ]);
  });

  it("keeps the record immutable: every later write is 409 session_finalized and the record reads back byte-identical", async () => {
    const id = uniqueId();
    await sendFragment(
      id,
      fragment(0, [say("user", "final words", 0), { kind: "metadata", patch: { plan: "gold" }, time: at(10) }]),
    );
    await closeSession(id, { lastSeq: 0, reason: "agent-ended-call" });
    const first = await (await getRecord(id)).text();

    const late = await sendFragment(id, fragment(1, [say("user", "too late", 5000)]));
    expect(late.status).toBe(409);
    const body = (await late.json()) as any;
    expect(body.error).toBe("session_finalized");
    expect(body.detail).toMatch(/immutable/);
    const repeat = await sendFragment(id, fragment(0, [say("user", "final words", 0)]));
    expect(repeat.status).toBe(409);
    const reclose = await closeSession(id, { lastSeq: 5, reason: "customer-ended-call" });
    expect(((await reclose.json()) as any).endedReason).toBe("agent-ended-call");

    await abortAllDurableObjects();
    const second = await (await getRecord(id)).text();
    expect(second).toBe(first);
    expect(JSON.parse(first).metadata).toEqual({ plan: "gold" });
  });

  it("closes a session that never sent a fragment into an empty record", async () => {
    const id = uniqueId();
    const res = await closeSession(id, { lastSeq: -1, agentId: 42, mode: "track", reason: "customer-ended-call" });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).state).toBe("finalized");
    const record = (await (await getRecord(id)).json()) as any;
    expect(record).toMatchObject({
      mode: "track",
      agentId: 42,
      transcript: [],
      toolCalls: [],
      fragments: { received: 0, lastSeq: -1, missing: [] },
    });
  });

  it("answers 409 record_not_ready for the record of an open session", async () => {
    const id = uniqueId();
    await sendFragment(id, fragment(0));
    const res = await call("GET", `/v1/sessions/${id}/record`);
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: "record_not_ready" });
  });
});
