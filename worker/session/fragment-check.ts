import type { Fragment, LogLevel, SessionEvent } from "../../sdk/protocol.ts";
import { isRealUtcTime } from "../../sdk/protocol.ts";
import { LIMITS, LOG_LEVELS, MODES } from "../../sdk/wire/limits.ts";

/**
 * A fragment that is certainly valid, checked by hand: what fragmentSchema would return for it, built
 * the way zod builds it (the schema's keys in the schema's order, unknown keys left out), or undefined
 * for anything else - then zod parses it and names the problem. It never accepts what zod would refuse
 * (it is stricter where that is simpler: redaction rules, metadata and turn events always go to zod).
 * Measured: zod (which cannot compile its checks where eval is not allowed, as in Workers) was about a
 * tenth of the Worker's CPU per fragment. test/worker/fragment-check.test.ts compares both on many bodies.
 */
export function checkedFragment(value: unknown): Fragment | undefined {
  if (!isPlainObject(value)) return undefined;
  const { agentId, mode, seq, sentAt, deferUpload, callStartedAt, sdk, redact, events } = value;
  if (redact !== undefined) return undefined;
  if (!(Number.isSafeInteger(agentId) && (agentId as number) > 0)) return undefined;
  if (!(MODES as readonly unknown[]).includes(mode)) return undefined;
  if (!(Number.isSafeInteger(seq) && (seq as number) >= 0)) return undefined;
  if (!isTime(sentAt)) return undefined;
  if (!(deferUpload === undefined || deferUpload === true || deferUpload === false || deferUpload === "audio"))
    return undefined;
  if (!(callStartedAt === undefined || isTime(callStartedAt))) return undefined;
  const sdkInfo = sdk === undefined ? undefined : checkedSdk(sdk);
  if (sdk !== undefined && sdkInfo === undefined) return undefined;
  if (!Array.isArray(events) || events.length > LIMITS.eventsPerFragment) return undefined;
  const checked: SessionEvent[] = [];
  for (const event of events) {
    const one = checkedEvent(event);
    if (!one) return undefined;
    checked.push(one);
  }
  const fragment: Record<string, unknown> = { agentId, mode, seq, sentAt };
  if (deferUpload !== undefined) fragment.deferUpload = deferUpload;
  if (callStartedAt !== undefined) fragment.callStartedAt = callStartedAt;
  if (sdkInfo !== undefined) fragment.sdk = sdkInfo;
  fragment.events = checked;
  return fragment as Fragment;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const isTime = (value: unknown): value is string =>
  typeof value === "string" && TIME.test(value) && isRealUtcTime(value);

const isString = (value: unknown, min: number, max: number): value is string =>
  typeof value === "string" && value.length >= min && value.length <= max;
const isText = (value: unknown): value is string => isString(value, 0, LIMITS.textLength);

function checkedSdk(value: unknown): Fragment["sdk"] {
  if (!isPlainObject(value)) return undefined;
  const { name, version, runtime, runtimeVersion } = value;
  if (!isString(name, 1, 100) || !isString(version, 0, 50) || !isString(runtime, 0, 50)) return undefined;
  if (runtimeVersion === undefined) return { name, version, runtime };
  if (!isString(runtimeVersion, 0, 100)) return undefined;
  return { name, version, runtime, runtimeVersion };
}

const jsonBytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value) ?? "").byteLength;

function checkedEvent(value: unknown): SessionEvent | undefined {
  if (!isPlainObject(value)) return undefined;
  switch (value.kind) {
    case "transcript": {
      const { role, text, startedAt, endedAt } = value;
      if (role !== "user" && role !== "assistant" && role !== "system") return undefined;
      if (!isText(text) || !isTime(startedAt) || !isTime(endedAt)) return undefined;
      if (!(Date.parse(endedAt) >= Date.parse(startedAt))) return undefined;
      return { kind: "transcript", role, text, startedAt, endedAt };
    }
    case "tool_call": {
      const { id, name, arguments: args, time } = value;
      if (!isString(id, 1, 200) || !isString(name, 1, 200) || !isText(args) || !isTime(time)) return undefined;
      return { kind: "tool_call", id, name, arguments: args, time };
    }
    case "tool_result": {
      const { id, name, result, isError, time } = value;
      if (!isString(id, 1, 200) || !(name === undefined || isString(name, 0, 200))) return undefined;
      if (!isText(result) || typeof isError !== "boolean" || !isTime(time)) return undefined;
      return name === undefined
        ? { kind: "tool_result", id, result, isError, time }
        : { kind: "tool_result", id, name, result, isError, time };
    }
    case "log": {
      const { level, message, time, attributes } = value;
      if (!(LOG_LEVELS as readonly unknown[]).includes(level) || !isText(message) || !isTime(time)) return undefined;
      const event = { kind: "log" as const, level: level as LogLevel, message, time };
      if (attributes === undefined) return event;
      // zod copies a record key by key; a "__proto__" key would not survive that copy the same way.
      if (!isPlainObject(attributes) || Object.hasOwn(attributes, "__proto__")) return undefined;
      if (jsonBytes(attributes) > LIMITS.logAttributesBytes) return undefined;
      return { ...event, attributes: { ...attributes } };
    }
    default:
      return undefined;
  }
}
