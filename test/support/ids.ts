/** A fresh id per test (storage is shared within a file): `<prefix>-<uuid>`, a valid session id. */
export const uniqueId = (prefix = "s") => `${prefix}-${crypto.randomUUID()}`;
