/**
 * Traces without OpenTelemetry in the entry: the OTel part (./addon.ts and the OTel packages) is
 * imported on first use, so a tracer with `enableOtelTraces: false` never loads it, and bundlers
 * put it in its own chunk. Recording stays synchronous: until the import has resolved, turns and
 * tool calls are recorded with their times and replayed on the real tracing, at those times.
 */
import { SdkError } from "../errors.ts";
import type { SessionContext, TracesAddon } from "../session.ts";
import type { OtelAddon } from "./addon.ts";
import type {
  LlmOptions,
  ServiceSpanHandle,
  SpanAttributes,
  SttOptions,
  ToolCallHandle,
  ToolCallOptions,
  TtsOptions,
  TurnEndOptions,
  TurnHandle,
  Usage,
} from "./types.ts";

type AddonModule = typeof import("./addon.ts");

let loaded: AddonModule | undefined;
let loading: Promise<AddonModule> | undefined;

/** Starts loading the OTel part once per process; the tracer calls it when traces are on. */
export function loadTraces(): Promise<AddonModule> {
  loading ??= import("./addon.ts").then((module) => (loaded = module));
  return loading;
}

/** Calls recorded before the OTel part loaded, each with the time it was made. */
class Pending {
  readonly #ops: { at: number; run: (addon: OtelAddon) => void }[] = [];
  #dead = false;
  /** The clock handed to the real tracing: a replayed call's own time, otherwise now. */
  at: number | undefined;
  readonly now = (): number => this.at ?? Date.now();

  record(run: (addon: OtelAddon) => void): void {
    if (!this.#dead) this.#ops.push({ at: Date.now(), run });
  }

  replay(addon: OtelAddon): void {
    for (const op of this.#ops.splice(0)) {
      this.at = op.at;
      op.run(addon);
    }
    this.at = undefined;
  }

  discard(): void {
    this.#dead = true;
    this.#ops.length = 0;
  }
}

class PendingService implements ServiceSpanHandle {
  real: ServiceSpanHandle | undefined;
  constructor(
    readonly kind: ServiceSpanHandle["kind"],
    private readonly pending: Pending,
  ) {}
  #call(run: (real: ServiceSpanHandle) => void): this {
    if (this.real) run(this.real);
    else this.pending.record(() => this.real && run(this.real));
    return this;
  }
  ttfb(seconds: number): this {
    return this.#call((real) => real.ttfb(seconds));
  }
  text(text: string, options?: { isFinal?: boolean }): this {
    return this.#call((real) => real.text(text, options));
  }
  input(value: unknown): this {
    return this.#call((real) => real.input(value));
  }
  usage(usage: Usage): this {
    return this.#call((real) => real.usage(usage));
  }
  set(attributes: SpanAttributes): this {
    return this.#call((real) => real.set(attributes));
  }
  end(options?: { error?: string }): void {
    this.#call((real) => real.end(options));
  }
}

class PendingTurn implements TurnHandle {
  real: TurnHandle | undefined;
  constructor(
    readonly number: number,
    private readonly pending: Pending,
  ) {}
  #service(kind: ServiceSpanHandle["kind"], start: (turn: TurnHandle) => ServiceSpanHandle): ServiceSpanHandle {
    if (this.real) return start(this.real);
    const service = new PendingService(kind, this.pending);
    this.pending.record(() => this.real && (service.real = start(this.real)));
    return service;
  }
  stt(options: SttOptions): ServiceSpanHandle {
    return this.#service("stt", (turn) => turn.stt(options));
  }
  llm(options: LlmOptions): ServiceSpanHandle {
    return this.#service("llm", (turn) => turn.llm(options));
  }
  tts(options: TtsOptions): ServiceSpanHandle {
    return this.#service("tts", (turn) => turn.tts(options));
  }
  toolCall(options: ToolCallOptions): ToolCallHandle {
    if (this.real) return this.real.toolCall(options);
    let real: ToolCallHandle | undefined;
    this.pending.record(() => this.real && (real = this.real.toolCall(options)));
    return {
      end: (result) => {
        if (real) real.end(result);
        else this.pending.record(() => real?.end(result));
      },
    };
  }
  end(options?: TurnEndOptions): void {
    if (this.real) this.real.end(options);
    else this.pending.record(() => this.real?.end(options));
  }
}

/** The session's traces addon: the real one when OTel is loaded, otherwise one that catches up. */
export function createTracesAddon(
  ctx: SessionContext,
  additionalSpanAttributes?: SpanAttributes,
  serviceName?: string,
): TracesAddon {
  if (loaded) return loaded.createTracesAddon(ctx, additionalSpanAttributes, undefined, serviceName);
  const startedAt = Date.now();
  const pending = new Pending();
  let real: OtelAddon | undefined;
  let aborted = false;
  let turns = 0;
  const ready = loadTraces().then(
    (module) => {
      if (aborted) return;
      pending.at = startedAt;
      real = module.createTracesAddon(ctx, additionalSpanAttributes, pending.now, serviceName);
      pending.replay(real);
    },
    (error: unknown) => {
      pending.discard();
      ctx.report(
        new SdkError(
          "traces_unavailable",
          `OTel traces could not be loaded: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        ),
      );
    },
  );
  return {
    startTurn() {
      if (real) return real.startTurn();
      const turn = new PendingTurn(++turns, pending);
      pending.record((addon) => (turn.real = addon.startTurn()));
      return turn;
    },
    toolCall(id, name, input) {
      if (real) real.toolCall(id, name, input);
      else pending.record((addon) => addon.toolCall(id, name, input));
    },
    toolResult(id, output, isError) {
      if (real) real.toolResult(id, output, isError);
      else pending.record((addon) => addon.toolResult(id, output, isError));
    },
    async flush() {
      await ready;
      await real?.flush?.();
    },
    async beforeClose() {
      await ready;
      return real?.beforeClose?.();
    },
    abort() {
      aborted = true;
      pending.discard();
      real?.abort?.();
    },
  };
}
