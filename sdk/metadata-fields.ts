/**
 * Custom-metadata keys that mean something to Cekura, checked where metadata enters: the SDK's
 * setCustomMetadata() (ValidationError) and the Worker's fragment route (400). A badly typed value
 * therefore fails at once, never as Cekura's 4xx when the finalized call is forwarded.
 * No dependencies, so the SDK can import it.
 */

/** Keys lifted out of custom metadata into top-level fields of the payload, per mode. */
export const LIFTED_FIELDS = {
  observe: ["customer_number", "dynamic_variables", "redact_fields"],
  track: ["to_phone_number", "from_phone_number", "run_id"],
} as const;

/**
 * The one metadata key under which the Worker adds its own facts (session logs, SDK and runtime,
 * system messages, missing fragments, audio consent). Reserved: a user's metadata may not use it,
 * so the Worker never overwrites a user's key.
 */
export const TRACER_METADATA_KEY = "cekura_tracer";

export interface MetadataProblem {
  /** The metadata key at fault, e.g. "customer_number". */
  field: string;
  problem: string;
}

type Check = (value: unknown) => string | undefined;

const typeName = (value: unknown): string =>
  value === null ? "null" : Array.isArray(value) ? "an array" : typeof value === "object" ? "an object" : typeof value;

const shortString =
  (max: number, example: string): Check =>
  (value) => {
    if (typeof value !== "string") return `must be a string such as "${example}", got ${typeName(value)}`;
    if (value.trim() === "") return "must not be empty";
    if (value.length > max) return `must be at most ${max} characters, got ${value.length}`;
    return undefined;
  };

const CHECKS: Record<string, Check> = {
  customer_number: shortString(100, "+15550001111"),
  to_phone_number: shortString(100, "+15550001111"),
  from_phone_number: shortString(100, "+15550002222"),
  run_id: shortString(200, "run-123"),
  dynamic_variables: (value) =>
    typeof value === "object" && value !== null && !Array.isArray(value)
      ? undefined
      : `must be an object of variables, got ${typeName(value)}`,
  redact_fields: (value) => {
    if (!Array.isArray(value)) return `must be an array of field names, got ${typeName(value)}`;
    const bad = value.findIndex((v) => typeof v !== "string" || v === "");
    return bad === -1 ? undefined : `must hold only non-empty strings; item ${bad} is ${typeName(value[bad])}`;
  },
};

/** A lifted field's value is fit to send as it is (null is not: it deletes the key). */
export function liftedValueProblem(field: string, value: unknown): string | undefined {
  return CHECKS[field]?.(value);
}

/**
 * The first problem in a metadata patch for a session of `mode`: the reserved key, or a lifted
 * field of that mode with the wrong type. A null value deletes a key and is always fine.
 */
export function metadataPatchProblem(
  mode: keyof typeof LIFTED_FIELDS,
  patch: Record<string, unknown>,
): MetadataProblem | undefined {
  if (TRACER_METADATA_KEY in patch) {
    return {
      field: TRACER_METADATA_KEY,
      problem: `is reserved for the facts the Worker adds (logs, SDK, runtime); use another key`,
    };
  }
  for (const field of LIFTED_FIELDS[mode]) {
    const value = patch[field];
    if (value === undefined || value === null) continue;
    const problem = liftedValueProblem(field, value);
    if (problem) return { field, problem };
  }
  return undefined;
}
