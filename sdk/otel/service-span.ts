import type { RecordedSpan } from "./recorded-span.ts";
import { ATTR, OPERATION, OUTPUT_TYPE, SPAN } from "./attributes.ts";
import { asText, clean, endSpan, startChild, type SpanRecorder } from "./spans.ts";
import type { LlmOptions, ServiceSpanHandle, SpanAttributes, SttOptions, TtsOptions, Usage } from "./types.ts";

type Kind = ServiceSpanHandle["kind"];

/** One stt / llm / tts span under a turn, with Pipecat's attribute names. */
export class ServiceSpan implements ServiceSpanHandle {
  readonly #span: RecordedSpan;

  constructor(
    readonly kind: Kind,
    span: RecordedSpan,
    private readonly now: () => number,
  ) {
    this.#span = span;
  }

  static start(
    tracer: SpanRecorder,
    parent: RecordedSpan,
    now: () => number,
    kind: "stt",
    options: SttOptions,
  ): ServiceSpan;
  static start(
    tracer: SpanRecorder,
    parent: RecordedSpan,
    now: () => number,
    kind: "llm",
    options: LlmOptions,
  ): ServiceSpan;
  static start(
    tracer: SpanRecorder,
    parent: RecordedSpan,
    now: () => number,
    kind: "tts",
    options: TtsOptions,
  ): ServiceSpan;
  static start(
    tracer: SpanRecorder,
    parent: RecordedSpan,
    now: () => number,
    kind: Kind,
    options: SttOptions | LlmOptions | TtsOptions,
  ): ServiceSpan {
    const attributes: SpanAttributes = {
      [ATTR.providerName]: options.provider,
      [ATTR.requestModel]: options.model,
      [ATTR.operationName]: OPERATION[kind],
    };
    if (kind === "stt") attributes[ATTR.language] = (options as SttOptions).language;
    if (kind === "llm" || kind === "tts") attributes[ATTR.outputType] = OUTPUT_TYPE[kind];
    if (kind === "tts") attributes[ATTR.voiceId] = (options as TtsOptions).voiceId;
    if (kind === "llm") {
      const tools = (options as LlmOptions).tools;
      if (tools && tools.length > 0) {
        attributes[ATTR.tools] = asText(tools);
        attributes[ATTR.toolCount] = tools.length;
      }
    }
    return new ServiceSpan(kind, startChild(tracer, SPAN[kind], parent, now(), attributes), now);
  }

  /** The recorded span (a tool call's parent, as Pipecat puts function calls under the llm span). */
  get span(): RecordedSpan {
    return this.#span;
  }

  get recording(): boolean {
    return this.#span.isRecording();
  }

  ttfb(seconds: number): this {
    this.#span.setAttribute(ATTR.ttfb, seconds);
    return this;
  }

  text(text: string, options: { isFinal?: boolean } = {}): this {
    if (this.kind === "stt") {
      this.#span.setAttributes(clean({ [ATTR.transcript]: text, [ATTR.isFinal]: options.isFinal ?? true }));
    } else if (this.kind === "llm") {
      this.#span.setAttribute(ATTR.output, text);
    } else {
      this.#span.setAttributes({ [ATTR.text]: text, [ATTR.characterCount]: text.length });
    }
    return this;
  }

  input(value: unknown): this {
    this.#span.setAttribute(ATTR.input, asText(value));
    return this;
  }

  usage(usage: Usage): this {
    this.#span.setAttributes(clean({ [ATTR.inputTokens]: usage.inputTokens, [ATTR.outputTokens]: usage.outputTokens }));
    return this;
  }

  set(attributes: SpanAttributes): this {
    this.#span.setAttributes(clean(attributes));
    return this;
  }

  end(options: { error?: string } = {}): void {
    endSpan(this.#span, this.now(), options.error);
  }
}
