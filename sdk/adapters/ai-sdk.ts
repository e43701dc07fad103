/**
 * Vercel AI SDK (`ai` >= 5): record the turns of a text or voice pipeline built with generateText /
 * streamText. One observer per conversation; wrap the functions once:
 *
 * ```ts
 * import { observeAiSdk } from "cekura-edge-tracer/ai-sdk";
 * const cekuraAi = observeAiSdk(cekura, { sessionId });
 * const generateText = cekuraAi.wrap(ai.generateText);   // or cekuraAi.wrap(ai.streamText)
 * ...
 * await cekuraAi.close();
 * ```
 * Each wrapped call is one OTel turn: the user's text (`prompt`, or the last user message) and the
 * model's final text become transcript turns; every step (LLM call) an `llm` span with provider,
 * model, usage, output and (streamText) TTFB; every tool call is recorded with its result or error.
 * Callbacks the caller passes (onStepFinish, onFinish, onChunk, onError) still run. Without wrapping,
 * `cekuraAi.callbacks(args)` returns the callbacks to spread into a call and `cekuraAi.finish(result)`.
 * Only structural types are used here: no runtime import of `ai`.
 */
import type { CekuraTracer, ServiceSpanHandle } from "../index.ts";
import { describeError as describe, Recorder, type AdapterOptions, type Observed } from "./event-stream.ts";

export interface AiSdkOptions extends AdapterOptions {
  /** Record the call's user input as a user transcript turn (default true). */
  recordUserInput?: boolean;
}

/** The parts of generateText/streamText arguments the adapter reads. */
export interface AiCallArgs {
  model?: unknown;
  prompt?: unknown;
  messages?: unknown;
  onStepFinish?: (step: never) => unknown;
  onFinish?: (event: never) => unknown;
  onChunk?: (event: never) => unknown;
  onError?: (event: never) => unknown;
  [key: string]: unknown;
}

/** A step (StepResult) as the adapter reads it. */
interface StepLike {
  text?: string;
  content?: Array<{
    type: string;
    toolCallId?: string;
    toolName?: string;
    input?: unknown;
    output?: unknown;
    error?: unknown;
  }>;
  toolCalls?: Array<{ toolCallId: string; toolName: string; input?: unknown }>;
  toolResults?: Array<{ toolCallId: string; toolName: string; output?: unknown }>;
  usage?: { inputTokens?: number; outputTokens?: number; totalTokens?: number };
  finishReason?: string;
  response?: { modelId?: string };
}

export interface AiCall {
  /** Callbacks to spread into the call (they call the caller's own ones too). */
  readonly hooks: Pick<AiCallArgs, "onStepFinish" | "onFinish" | "onChunk" | "onError">;
  /** Ends the call's turn with the final text (generateText's result; streamText's onFinish does it). */
  finish(result?: { text?: string }): void;
  fail(error: unknown): void;
}

export interface AiSdkObserver extends Observed {
  /** Wraps generateText / streamText (or any function taking their arguments). */
  wrap<F extends (args: never) => unknown>(fn: F): F;
  /** Starts a call by hand: record it, spread `hooks` into the call, then finish(result). */
  call(args: AiCallArgs): AiCall;
}

export function observeAiSdk(cekura: CekuraTracer, options: AiSdkOptions = {}): AiSdkObserver {
  const { recordUserInput = true, ...base } = options;
  const rec = new Recorder(cekura, base);

  const call = (args: AiCallArgs): AiCall => {
    rec.endTurn();
    const startedAt = Date.now();
    const userText = recordUserInput ? userInputOf(args) : undefined;
    if (userText) rec.transcript("user", userText, startedAt, startedAt);
    const turn = rec.turn();
    const { provider, model } = modelOf(args.model);
    let llm: ServiceSpanHandle | undefined;
    let stepStarted = performance.now();
    let firstChunk = false;
    let answerStartedAt: number | undefined;
    let done = false;
    const seenTools = new Set<string>();

    const openLlm = () => {
      if (!llm && turn && !done) {
        llm = turn.llm({ provider, model });
        stepStarted = performance.now();
        firstChunk = false;
      }
      return llm;
    };
    openLlm();

    const onStep = (step: StepLike) => {
      rec.safely(() => {
        const span = openLlm();
        if (span) {
          if (step.response?.modelId && step.response.modelId !== model)
            span.set({ "gen_ai.response.model": step.response.modelId });
          if (step.usage) span.usage({ inputTokens: step.usage.inputTokens, outputTokens: step.usage.outputTokens });
          if (step.finishReason) span.set({ "gen_ai.response.finish_reasons": [step.finishReason] });
          if (step.text) span.text(step.text);
          span.end();
        }
        llm = undefined;
        if (step.text && answerStartedAt === undefined) answerStartedAt = Date.now();
        recordTools(step, seenTools);
      });
    };

    const finish = (result?: { text?: string }) => {
      if (done) return;
      done = true;
      rec.safely(() => {
        llm?.end();
        llm = undefined;
        const now = Date.now();
        rec.transcript("assistant", result?.text, answerStartedAt ?? now, now);
        rec.endTurn();
      });
    };

    const fail = (error: unknown) => {
      if (done) return;
      done = true;
      rec.safely(() => {
        llm?.end({ error: describe(error) });
        llm = undefined;
        rec.log("error", `AI SDK call failed: ${describe(error)}`);
        rec.endTurn();
      });
    };

    const own = args;
    const hooks: AiCall["hooks"] = {
      onStepFinish: ((step: StepLike) => {
        onStep(step);
        return (own.onStepFinish as ((s: StepLike) => unknown) | undefined)?.(step);
      }) as AiCallArgs["onStepFinish"],
      onChunk: ((event: { chunk?: { type?: string } }) => {
        if (!firstChunk && llm) {
          firstChunk = true;
          llm.ttfb((performance.now() - stepStarted) / 1000);
        }
        if (event.chunk?.type === "text-delta" && answerStartedAt === undefined) answerStartedAt = Date.now();
        return (own.onChunk as ((e: unknown) => unknown) | undefined)?.(event);
      }) as AiCallArgs["onChunk"],
      onFinish: ((event: { text?: string }) => {
        finish(event);
        return (own.onFinish as ((e: unknown) => unknown) | undefined)?.(event);
      }) as AiCallArgs["onFinish"],
      onError: ((event: { error?: unknown }) => {
        fail(event?.error ?? event);
        return (own.onError as ((e: unknown) => unknown) | undefined)?.(event);
      }) as AiCallArgs["onError"],
    };
    return { hooks, finish, fail };
  };

  const recordTools = (step: StepLike, seen: Set<string>) => {
    for (const c of step.toolCalls ?? []) {
      if (seen.has(c.toolCallId)) continue;
      seen.add(c.toolCallId);
      rec.toolCall(c.toolCallId, c.toolName, c.input ?? {});
    }
    for (const r of step.toolResults ?? []) rec.toolResult(r.toolCallId, r.output ?? null, false, r.toolName);
    for (const part of step.content ?? []) {
      if (part.type === "tool-error" && part.toolCallId)
        rec.toolResult(part.toolCallId, { error: describe(part.error) }, true, part.toolName);
    }
  };

  const wrap = <F extends (args: never) => unknown>(fn: F): F => {
    const wrapped = (args: AiCallArgs) => {
      const c = call(args);
      let out: unknown;
      try {
        out = (fn as unknown as (a: AiCallArgs) => unknown)({ ...args, ...c.hooks });
      } catch (error) {
        c.fail(error);
        throw error;
      }
      if (isPromise(out)) {
        // generateText: the result is the end of the call (streamText ends through onFinish / onError).
        return out.then(
          (result) => {
            c.finish(result as { text?: string });
            return result;
          },
          (error: unknown) => {
            c.fail(error);
            throw error;
          },
        );
      }
      return out;
    };
    return wrapped as unknown as F;
  };

  return {
    session: rec.session,
    closed: rec.closed,
    close: (reason?: string) => rec.close(reason),
    detach: () => rec.detach(),
    wrap,
    call,
  };
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

function modelOf(model: unknown): { provider: string; model: string } {
  if (typeof model === "string") {
    const [provider, ...rest] = model.split("/");
    return rest.length ? { provider: provider!, model: rest.join("/") } : { provider: "gateway", model };
  }
  const m = model as { provider?: unknown; modelId?: unknown } | null;
  return {
    provider: typeof m?.provider === "string" ? m.provider.split(".")[0]! : "unknown",
    model: typeof m?.modelId === "string" ? m.modelId : "unknown",
  };
}

function userInputOf(args: AiCallArgs): string | undefined {
  if (typeof args.prompt === "string") return args.prompt;
  const list = Array.isArray(args.prompt) ? args.prompt : Array.isArray(args.messages) ? args.messages : [];
  for (let i = list.length - 1; i >= 0; i--) {
    const message = list[i] as { role?: string; content?: unknown };
    if (message?.role !== "user") continue;
    if (typeof message.content === "string") return message.content;
    if (Array.isArray(message.content)) {
      return message.content
        .map((p: { type?: string; text?: string }) => (p?.type === "text" && typeof p.text === "string" ? p.text : ""))
        .filter(Boolean)
        .join(" ");
    }
  }
  return undefined;
}
