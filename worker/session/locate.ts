import type { WorkerConfig } from "../config.ts";
import type { Env } from "../env.ts";

/**
 * The session's Durable Object. The name joins tenant and session id, so another API key
 * can never reach this session. Jurisdiction and location hint pin where new sessions live.
 */
export function sessionStub(env: Env, config: WorkerConfig, tenant: string, sessionId: string) {
  const namespace = config.jurisdiction ? env.SESSIONS.jurisdiction(config.jurisdiction) : env.SESSIONS;
  const id = namespace.idFromName(`${tenant}:${sessionId}`);
  return config.locationHint ? namespace.get(id, { locationHint: config.locationHint }) : namespace.get(id);
}
