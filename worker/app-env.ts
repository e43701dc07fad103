import type { Env } from "./env.ts";
import type { sessionStub } from "./session/locate.ts";
import type { Caller } from "./session/meta.ts";

/** Hono's environment for this app: the Worker bindings plus what middleware sets. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    /** Set by requireTenant: SHA-256 of the API key, and the key itself (never logged). */
    tenant: string;
    apiKey: string;
    /** Set by withSession on routes with a session id. */
    caller: Caller;
    session: ReturnType<typeof sessionStub>;
  };
}
