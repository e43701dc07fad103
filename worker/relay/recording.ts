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
    try {
      this.#tap.fromClient(frame);
    } catch (error) {
      this.#failed("client event", error);
    }
  }

  fromServer(frame: string | ArrayBuffer): void {
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

  #failed(where: string, error: unknown): void {
    this.errors++;
    // The error's class and code only: a message could quote what the call carried.
    const e = error as { name?: unknown; code?: unknown };
    console.warn(`relay recording error (${where}): ${String(e?.name ?? "Error")} ${String(e?.code ?? "")}`.trim());
  }
}
