import { reset } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { LIMITS } from "../../sdk/protocol.ts";
import { gzip } from "../support/gzip.ts";
import { call, closeSession, fragment, getRecord, say, sendFragment, uniqueId } from "../support/workerd/api.ts";

afterEach(() => reset());

async function expectError(res: Response, status: number, error: string, detail?: RegExp) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/application\/json/);
  const body = (await res.json()) as { error: string; detail: string };
  expect(body.error).toBe(error);
  expect(typeof body.detail).toBe("string");
  if (detail) expect(body.detail).toMatch(detail);
}

/** A valid fragment (seq 1) as plain JSON text, sent with these headers. */
const postFragmentWith = (id: string, headers: Record<string, string>) =>
  call("POST", `/v1/sessions/${id}/fragments`, JSON.stringify(fragment(1)), undefined, headers);

/** Each bad request is sent into a session that already holds accepted data; that data must survive. */
async function withAcceptedData(run: (id: string) => Promise<void>) {
  const id = uniqueId();
  expect((await sendFragment(id, fragment(0, [say("user", "accepted before", 0)]))).status).toBe(200);
  await run(id);
  await closeSession(id, { lastSeq: 0 });
  const record = (await (await getRecord(id)).json()) as { transcript: { text: string }[] };
  expect(record.transcript.map((t) => t.text)).toEqual(["accepted before"]);
}

describe("bad input is answered with {error, detail} and corrupts nothing", () => {
  it("malformed JSON -> 400 invalid_json", () =>
    withAcceptedData(async (id) => {
      await expectError(
        await call("POST", `/v1/sessions/${id}/fragments`, '{"agentId": 42, "seq": 1,'),
        400,
        "invalid_json",
      );
    }));

  it("wrong types -> 400 invalid_body naming the field", () =>
    withAcceptedData(async (id) => {
      await expectError(await sendFragment(id, { ...fragment(1), seq: "one" }), 400, "invalid_body", /seq/);
      await expectError(await sendFragment(id, { ...fragment(1), agentId: 4.5 }), 400, "invalid_body", /agentId/);
      await expectError(
        await sendFragment(id, fragment(1, [{ ...say("user", "x", 0), startedAt: "yesterday" }])),
        400,
        "invalid_body",
        /events\.0\.startedAt/,
      );
    }));

  it("unknown event kinds -> 400 invalid_body naming the event", () =>
    withAcceptedData(async (id) => {
      await expectError(
        await sendFragment(id, fragment(1, [{ kind: "telepathy", text: "?" }])),
        400,
        "invalid_body",
        /events\.0\.kind/,
      );
    }));

  it("a session id over 100 characters -> 400 invalid_session_id", async () => {
    await expectError(await sendFragment("x".repeat(101), fragment(0)), 400, "invalid_session_id", /100 characters/);
    expect((await sendFragment("y".repeat(100), fragment(0))).status).toBe(200);
  });

  it("a session id with characters outside the allowed set -> 400", async () => {
    await expectError(
      await call("POST", `/v1/sessions/${encodeURIComponent("a b")}/fragments`, fragment(0)),
      400,
      "invalid_session_id",
    );
  });

  it("an oversized body -> 413 payload_too_large", () =>
    withAcceptedData(async (id) => {
      const big = fragment(1, [say("user", "x".repeat(LIMITS.textLength), 0)]);
      const events = Array.from({ length: 20 }, () => big.events[0]);
      await expectError(await sendFragment(id, { ...big, events }), 413, "payload_too_large");
    }));

  it("a text over the length limit -> 400 naming the limit", () =>
    withAcceptedData(async (id) => {
      await expectError(
        await sendFragment(id, fragment(1, [say("user", "x".repeat(LIMITS.textLength + 1), 0)])),
        400,
        "invalid_body",
        /characters/,
      );
    }));

  it("too many events in one fragment -> 400", () =>
    withAcceptedData(async (id) => {
      const events = Array.from({ length: LIMITS.eventsPerFragment + 1 }, (_, i) => ({
        kind: "log",
        level: "info",
        message: `m${i}`,
        time: "2026-11-25T12:00:00.000Z",
      }));
      await expectError(await sendFragment(id, fragment(1, events)), 400, "invalid_body", /at most/);
    }));

  it("an oversized metadata patch -> 400", () =>
    withAcceptedData(async (id) => {
      const patch = { blob: "x".repeat(LIMITS.metadataBytes) };
      await expectError(
        await sendFragment(id, fragment(1, [{ kind: "metadata", patch, time: "2026-11-25T12:00:00.000Z" }])),
        400,
        "invalid_body",
        /metadata/,
      );
    }));

  it("wrong content type -> 415", () =>
    withAcceptedData(async (id) => {
      await expectError(await postFragmentWith(id, { "content-type": "text/plain" }), 415, "unsupported_media_type");
    }));

  it("an unsupported content encoding -> 415, and a gzip body that is not gzip -> 400", () =>
    withAcceptedData(async (id) => {
      await expectError(await postFragmentWith(id, { "content-encoding": "br" }), 415, "unsupported_encoding");
      await expectError(await postFragmentWith(id, { "content-encoding": "gzip" }), 400, "invalid_gzip");
    }));

  it("a gzip bomb is stopped at the decompressed limit -> 413", async () => {
    const id = uniqueId();
    const json = JSON.stringify({ ...fragment(0), pad: " ".repeat(LIMITS.fragmentDecompressedBytes + 10) });
    const gz = await gzip(json);
    expect(gz.byteLength).toBeLessThan(LIMITS.fragmentBodyBytes);
    await expectError(
      await call("POST", `/v1/sessions/${id}/fragments`, gz, undefined, { "content-encoding": "gzip" }),
      413,
      "payload_too_large",
      /decompressed/,
    );
  });

  it("a gzip-compressed fragment is accepted", async () => {
    const id = uniqueId();
    const gz = await gzip(JSON.stringify(fragment(0, [say("user", "zipped", 0)])));
    const res = await call("POST", `/v1/sessions/${id}/fragments`, gz, undefined, { "content-encoding": "gzip" });
    expect(res.status).toBe(200);
  });

  it("a bad close body -> 400, and the session stays open", () =>
    withAcceptedData(async (id) => {
      await expectError(await closeSession(id, { lastSeq: "last" }), 400, "invalid_body", /lastSeq/);
      await expectError(await closeSession(id, { lastSeq: 0, reason: "Not Valid!" }), 400, "invalid_body", /reason/);
    }));

  it("unknown routes -> 404 not_found", async () => {
    await expectError(await call("GET", "/v2/anything"), 404, "not_found", /GET \/v2\/anything/);
    await expectError(await call("PATCH", `/v1/sessions/abc`), 404, "not_found");
  });

  it("status of a session that does not exist -> 404 session_not_found", async () => {
    await expectError(await call("GET", `/v1/sessions/${uniqueId()}`), 404, "session_not_found");
  });
});
