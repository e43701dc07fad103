import { createApp } from "./app.ts";

export { SessionDO } from "./session/session-do.ts";
export { TraceLinkDO } from "./session/trace-link-do.ts";
export { TenantIndexDO } from "./inspect/tenant-index-do.ts";
export default createApp();
