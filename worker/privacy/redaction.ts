import type { SessionEvent } from "../../sdk/protocol.ts";
import {
  createRedactor,
  isEmptyRules,
  mergeRules,
  parseRedactionRules,
  type RedactionRules,
  type Redactor,
} from "../../sdk/redact.ts";
import type { Env } from "../env.ts";
import type { SpanItem } from "../forward/otel-wire.ts";
import { LazyTables } from "../session/tables.ts";

const parsedDeploymentRules = new Map<string, RedactionRules>();

/**
 * The deployment's rules from the `REDACTION` variable (JSON, see sdk/redact.ts). Unset or empty: none.
 * An invalid value throws an error naming the variable (every request then fails loudly, never unredacted).
 */
export function deploymentRules(env: Env): RedactionRules {
  const raw = env.REDACTION?.trim() ?? "";
  if (raw === "") return {};
  const cached = parsedDeploymentRules.get(raw);
  if (cached) return cached;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new Error(`REDACTION must be JSON such as {"detectors":["email"]}: ${(error as Error).message}`);
  }
  const rules = parseRedactionRules(json, "REDACTION");
  if (typeof rules === "string") throw new Error(rules);
  parsedDeploymentRules.set(raw, rules);
  return rules;
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS privacy_redaction (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL)`;

/**
 * A session's redaction in its Durable Object: the deployment's rules plus every rule the session's
 * fragments brought (rules are only ever added, so a later fragment cannot weaken them). Applied to
 * events and spans before they are written to storage.
 */
export class SessionRedaction {
  /** Created once a fragment brought rules (creating it is billed as rows written). */
  readonly #table: LazyTables;
  readonly #deployment: RedactionRules;
  #session: RedactionRules | undefined;
  #redactor: Redactor | undefined;

  constructor(sql: SqlStorage, env: Env) {
    this.#table = new LazyTables(sql, "privacy_redaction", [SCHEMA]);
    this.#deployment = deploymentRules(env);
  }

  #sessionRules(): RedactionRules {
    if (this.#session === undefined) {
      const row = this.#table.rows<{ json: string }>("SELECT json FROM privacy_redaction WHERE id = 1")[0];
      this.#session = row ? (JSON.parse(row.json) as RedactionRules) : {};
    }
    return this.#session;
  }

  /** Adds a fragment's rules to the session's (stored, so they survive an eviction). */
  absorb(rules: RedactionRules | undefined): void {
    if (isEmptyRules(rules)) return;
    const current = this.#sessionRules();
    const next = mergeRules(current, rules);
    if (JSON.stringify(next) === JSON.stringify(current)) return;
    this.#table
      .ensure()
      .exec(
        "INSERT INTO privacy_redaction (id, json) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json",
        JSON.stringify(next),
      );
    this.#session = next;
    this.#redactor = undefined;
  }

  redactor(): Redactor {
    this.#redactor ??= createRedactor(mergeRules(this.#deployment, this.#sessionRules()));
    return this.#redactor;
  }

  events(events: SessionEvent[]): SessionEvent[] {
    const r = this.redactor();
    return r.active ? events.map((e) => r.event(e)) : events;
  }

  spans(items: SpanItem[]): SpanItem[] {
    return redactSpanItems(this.redactor(), items);
  }
}

/** Spans as the Worker stores them (JSON text per span, resource and scope), redacted: every string in each. */
export function redactSpanItems(redactor: Redactor, items: SpanItem[]): SpanItem[] {
  if (!redactor.active) return items;
  const json = (text: string) => JSON.stringify(redactor.otlp(JSON.parse(text)));
  return items.map((item) => ({
    ...item,
    span: json(item.span),
    resource: json(item.resource),
    scope: json(item.scope),
  }));
}

/** Spans parked in a trace's own object before their session is known: the deployment's rules only. */
export function redactParkedSpans(env: Env, items: SpanItem[]): SpanItem[] {
  return redactSpanItems(createRedactor(deploymentRules(env)), items);
}
