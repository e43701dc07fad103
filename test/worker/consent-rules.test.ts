/** The consent rules are pure functions over a session's meta: checked here without a Durable Object. */
import { describe, expect, it } from "vitest";
import * as consent from "../../worker/session/consent.ts";
import { newSessionMeta, type SessionMeta } from "../../worker/session/meta.ts";

const meta = (over: Partial<SessionMeta> = {}): SessionMeta =>
  newSessionMeta(
    {
      sessionId: "s",
      tenant: "t",
      agentId: 1,
      mode: "observe",
      deferUpload: false,
      state: "open",
      consent: "granted",
      ...over,
    },
    1000,
  );

describe("consent rules", () => {
  it("says what closing means for each consent setting", () => {
    expect(consent.closeMeaning(meta())).toBe("finalize");
    expect(consent.closeMeaning(meta({ deferUpload: true, consent: "deferred" }))).toBe("discard");
    expect(consent.closeMeaning(meta({ deferUpload: "audio", consent: "deferred" }))).toBe("drop-audio");
    expect(
      consent.closeMeaning(
        meta({ deferUpload: "audio", consent: "deferred", audioDropped: { at: 1, reason: "no-consent" } }),
      ),
    ).toBe("finalize");
    expect(consent.closeMeaning(meta({ deferUpload: true, consent: "granted" }))).toBe("finalize");
  });

  it("lets a session leave the Worker only with consent, or when only its audio was deferred", () => {
    expect(consent.mayForward(meta())).toBe(true);
    expect(consent.mayForward(meta({ deferUpload: true, consent: "deferred" }))).toBe(false);
    expect(consent.mayForward(meta({ deferUpload: "audio", consent: "deferred" }))).toBe(true);
    expect(consent.mayForward(meta({ state: "aborted", consent: "aborted" }))).toBe(false);
    expect(consent.mayUploadAudio(meta({ deferUpload: "audio", consent: "deferred" }))).toBe(false);
    expect(consent.mayUploadAudio(meta({ audioDropped: { at: 1, reason: "abort-recording" } }))).toBe(false);
    expect(consent.mayUploadAudio(meta())).toBe(true);
  });

  it("grants once and keeps the first grant time, and refuses a grant after abort or discard", () => {
    const granted = consent.grant(meta({ deferUpload: true, consent: "deferred" }), 5000);
    expect(granted).toMatchObject({ ok: true, value: { consent: "granted", consentGrantedAt: 5000 } });
    const again = consent.grant((granted as { value: SessionMeta }).value, 9000);
    expect(again).toMatchObject({ ok: true, value: { consentGrantedAt: 5000 } });
    expect(consent.grant(meta({ state: "aborted", consent: "aborted" }), 1)).toMatchObject({
      ok: false,
      status: 409,
      error: "session_aborted",
    });
    expect(consent.grant(meta({ state: "discarded" }), 1)).toMatchObject({
      ok: false,
      status: 409,
      error: "session_discarded",
    });
  });

  it("aborts an open or closing session, answers an aborted one as it is, and refuses a finalized one", () => {
    expect(consent.markAborted(meta({ state: "closing" }))).toMatchObject({
      ok: true,
      value: { state: "aborted", consent: "aborted", endedReason: "aborted" },
    });
    const tombstone = meta({ state: "aborted", consent: "aborted", destroyComplete: true });
    expect(consent.markAborted(tombstone)).toEqual({ ok: true, value: tombstone });
    expect(consent.markAborted(meta({ state: "finalized", finalizedAt: 2000 }))).toMatchObject({
      ok: false,
      error: "session_finalized",
    });
  });

  it("does not change the meta it is given", () => {
    const before = meta({ deferUpload: true, consent: "deferred" });
    const copy = structuredClone(before);
    consent.grant(before, 5000);
    consent.markAborted(before);
    consent.markDiscarded(before, "idle-timeout");
    consent.markAudioDropped(before, 1, "abort-recording");
    expect(before).toEqual(copy);
  });
});
