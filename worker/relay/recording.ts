/**
 * The recording half of the relay: the SDK's own CekuraTracer + Session + the raw-wire Realtime tap
 * (sdk/adapters/openai-realtime-wire.ts), with `fetch` dispatching to this Worker's app in-process, so a
 * relayed call goes through the same routes, Durable Object, consent and forwarding as an SDK call.
 * Nothing here may throw into the relay: every error is counted and logged (without content).
 */
import { CekuraTracer } from "../../sdk/index.ts";
import type { CekuraSession } from "../../sdk/cekura-session.ts";
import { RealtimeWireTap } from "../../sdk/adapters/openai-realtime-wire.ts";
import type { DeferUpload, Mode } from "../../sdk/wire/types.ts";

export interface RelayIdentity {
  apiKey: string;
  agentId: number;
  sessionId: string;
  mode: Mode;
  deferUpload: DeferUpload | undefined;
  model: string | undefined;
}

/** Handles one Worker request in-process (the app's own fetch handler). */
export type Dispatch = (request: Request) => Promise<Response>;

/**
 * Text frames longer than this (UTF-16 code units) are relayed but not recorded: parsing and decoding one
 * holds several copies of it in the isolate's 128 MB. 2 MiB of base64 is 32 s of pcm16 24 kHz audio in one
 * append; clients send 20-100 ms per append.
 */
export const MAX_RECORDED_FRAME = 2 << 20;

/** Base URL of in-process requests; it never reaches a network. */
const IN_PROCESS_URL = "https://relay.internal";

export class RelayRecording {
  readonly session: CekuraSession;
  readonly #tap: RealtimeWireTap;
  /** Recording errors (tap or delivery); the relay went on regardless. */
  errors = 0;
  #closed: Promise<unknown> | undefined;

  constructor(identity: RelayIdentity, dispatch: Dispatch) {
    const tracer = new CekuraTracer({
      apiKey: identity.apiKey,
      agentId: identity.agentId,
      ingestUrl: IN_PROCESS_URL,
      env: {},
      fetch: (input, init) => dispatch(new Request(input, init)),
      onError: (error) => this.#failed("delivery", error),
    });
    const options = { sessionId: identity.sessionId, customMetadata: { capture: "openai-realtime-relay" } };
    this.session =
      identity.mode === "track"
        ? tracer.track(options)
        : tracer.observe({ ...options, deferUpload: identity.deferUpload });
    this.#tap = new RealtimeWireTap(this.session, { model: identity.model });
  }

  fromClient(frame: string | ArrayBuffer): void {
    if (this.#oversized(frame)) return;
    try {
      this.#tap.fromClient(frame);
    } catch (error) {
      this.#failed("client event", error);
    }
  }

  fromServer(frame: string | ArrayBuffer): void {
    if (this.#oversized(frame)) return;
    try {
      this.#tap.fromServer(frame);
    } catch (error) {
      this.#failed("server event", error);
    }
  }

  /** The call ended: the session is closed (once) with what was heard. */
  close(reason: string): Promise<unknown> {
    this.#closed ??= (async () => {
      try {
        this.#tap.end();
        if (this.errors > 0) this.session.log("warn", "relay recording errors", { count: this.errors });
        return await this.session.close({ reason });
      } catch (error) {
        this.#failed("close", error);
      }
    })();
    return this.#closed;
  }

  /** A text frame too large to record is relayed but not parsed (a recording error, counted). */
  #oversized(frame: string | ArrayBuffer): boolean {
    if (typeof frame !== "string" || frame.length <= MAX_RECORDED_FRAME) return false;
    this.#failed("frame too large to record", { name: "RangeError", code: frame.length });
    return true;
  }

  #failed(where: string, error: unknown): void {
    this.errors++;
    // The error's class and code only: a message could quote what the call carried.
    const e = error as { name?: unknown; code?: unknown };
    console.warn(`relay recording error (${where}): ${String(e?.name ?? "Error")} ${String(e?.code ?? "")}`.trim());
  }
}
