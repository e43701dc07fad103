/**
 * Span names and attribute keys exactly as Pipecat's tracing sets them
 * (pipecat/utils/tracing/service_attributes.py), plus what Cekura's trace view reads
 * (../shared/cekura-contract.md): the `tool_call` span name and `function.name` beside Pipecat's
 * `tool.function_name`. test/otel/pipecat-names.test.ts pins both sets.
 */
export const SPAN = {
  conversation: "conversation",
  turn: "turn",
  stt: "stt",
  llm: "llm",
  tts: "tts",
  toolCall: "tool_call",
} as const;

export const ATTR = {
  conversationId: "conversation.id",
  conversationType: "conversation.type",
  turnNumber: "turn.number",
  turnType: "turn.type",
  turnDurationSeconds: "turn.duration_seconds",
  turnWasInterrupted: "turn.was_interrupted",
  turnUserBotLatencySeconds: "turn.user_bot_latency_seconds",
  providerName: "gen_ai.provider.name",
  requestModel: "gen_ai.request.model",
  operationName: "gen_ai.operation.name",
  ttfb: "metrics.ttfb",
  inputTokens: "gen_ai.usage.input_tokens",
  outputTokens: "gen_ai.usage.output_tokens",
  characterCount: "metrics.character_count",
  transcript: "transcript",
  isFinal: "is_final",
  language: "language",
  voiceId: "voice_id",
  text: "text",
  output: "output",
  input: "input",
  outputType: "gen_ai.output.type",
  tools: "tools",
  toolCount: "tool_count",
  /** Cekura's name for the tool (its trace view); Pipecat's is toolFunctionName. */
  functionName: "function.name",
  toolFunctionName: "tool.function_name",
  toolCallId: "tool.call_id",
  toolArguments: "tool.arguments",
  toolResult: "tool.result",
  /** "success" or "error", as Pipecat sets it. */
  toolResultStatus: "tool.result_status",
  serviceName: "service.name",
} as const;

/** `gen_ai.operation.name` per service span, as Pipecat sets it. */
export const OPERATION = { stt: "stt", llm: "chat", tts: "tts" } as const;

/** `gen_ai.output.type` of the llm and tts spans, as Pipecat sets it (none on stt). */
export const OUTPUT_TYPE = { llm: "text", tts: "speech" } as const;

/** The session header the Worker also routes spans by (besides `conversation.id`). */
export const SESSION_HEADER = "x-cekura-session-id";
