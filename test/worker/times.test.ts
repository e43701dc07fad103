import { reset } from "cloudflare:test";
import { afterEach, expect, it } from "vitest";
import { api, closeSession, fragment, getRecord, say, sendFragment, uniqueId } from "../support/workerd/api.ts";

afterEach(() => reset());

const transcript = (startedAt: string, endedAt: string) => ({
  kind: "transcript",
  role: "user",
  text: "when?",
  startedAt,
  endedAt,
});

it("refuses timestamps that are not real calendar dates from 2000 to 2100 with 400 naming the field, and the session still finalizes", async () => {
  const id = uniqueId();
  expect((await sendFragment(id, fragment(0, [say("user", "accepted", 0)]))).status).toBe(200);
  const bad: [string, unknown][] = [
    ["events.0.startedAt", fragment(1, [transcript("2026-13-01T00:00:00.000Z", "2026-13-01T00:00:01.000Z")])],
    ["events.0.startedAt", fragment(1, [transcript("2026-02-30T00:00:00.000Z", "2026-03-01T00:00:00.000Z")])],
    ["events.0.time", fragment(1, [{ kind: "log", level: "info", message: "m", time: "2026-11-25T24:00:00.000Z" }])],
    ["events.0.startedAt", fragment(1, [transcript("1999-12-31T23:59:59.999Z", "2026-01-01T00:00:00.000Z")])],
    ["events.0.endedAt", fragment(1, [transcript("2026-01-01T00:00:00.000Z", "2100-01-01T00:00:00.000Z")])],
    [
      "events.0.time",
      fragment(1, [{ kind: "tool_call", id: "t", name: "f", arguments: "{}", time: "9999-12-31T23:59:59.999Z" }]),
    ],
    ["callStartedAt", fragment(1, [], { callStartedAt: "2026-00-10T00:00:00.000Z" })],
    ["sentAt", { ...fragment(1), sentAt: "2026-11-31T00:00:00.000Z" }],
  ];
  for (const [field, body] of bad) {
    const res = await sendFragment(id, body);
    const answer = (await res.json()) as { error: string; detail: string };
    expect({ status: res.status, error: answer.error, field }).toEqual({ status: 400, error: "invalid_body", field });
    expect(answer.detail).toContain(field);
    expect(answer.detail).toMatch(/real calendar date/);
  }
  const closed = (await (await closeSession(id, { lastSeq: 0 })).json()) as { state: string };
  expect(closed.state).toBe("finalized");
  const record = (await (await getRecord(id)).json()) as { transcript: { text: string }[] };
  expect(record.transcript.map((t) => t.text)).toEqual(["accepted"]);
});

it("refuses an end earlier than its start, for transcript lines and turns", async () => {
  const id = uniqueId();
  const cases = [
    fragment(0, [transcript("2026-11-25T12:00:02.000Z", "2026-11-25T12:00:01.999Z")]),
    fragment(0, [
      { kind: "turn", number: 1, startedAt: "2026-11-25T12:00:02.000Z", endedAt: "2026-11-25T12:00:01.000Z" },
    ]),
  ];
  for (const body of cases) {
    const res = await sendFragment(id, body);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: "invalid_body",
      detail: expect.stringMatching(/events\.0\.endedAt: endedAt must not be earlier than startedAt/),
    });
  }
  expect(
    (await sendFragment(id, fragment(0, [transcript("2026-11-25T12:00:01.000Z", "2026-11-25T12:00:01.000Z")]))).status,
  ).toBe(200);
});

it("refuses an audio chunk whose call start header is not a real date", async () => {
  const res = await api.putAudio(uniqueId(), 0, new Uint8Array(400), {
    intro: { agentId: 42, mode: "observe" },
    headers: { "x-cekura-call-started-at": "2026-13-01T00:00:00.000Z" },
  });
  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({
    error: "invalid_headers",
    detail: expect.stringMatching(/X-Cekura-Call-Started-At/),
  });
});
