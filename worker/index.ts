import { createApp } from "./app.ts";

export { SessionDO } from "./session/session-do.ts";
export default createApp();
