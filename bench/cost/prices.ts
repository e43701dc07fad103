/**
 * Cloudflare list prices the cost model uses (USD, Workers Paid plan, marginal rates: what each unit
 * costs once the monthly included usage is used up; the plan's $5/month base is not spread over calls).
 * Checked 2026-11-26 against Cloudflare's published pricing pages (sources below). Change the date
 * and the figures together.
 */
export const PRICES_CHECKED = "2026-11-26";

export interface Price {
  /** USD per `per` units. */
  usd: number;
  per: number;
  unit: string;
  included: string;
  source: string;
}

const WORKERS = "https://developers.cloudflare.com/workers/platform/pricing/";
const DURABLE_OBJECTS = "https://developers.cloudflare.com/durable-objects/platform/pricing/";
const R2 = "https://developers.cloudflare.com/r2/pricing/";

export const PRICES = {
  workerRequest: { usd: 0.3, per: 1e6, unit: "request", included: "10 million / month", source: WORKERS },
  workerCpuMs: { usd: 0.02, per: 1e6, unit: "CPU ms", included: "30 million CPU ms / month", source: WORKERS },
  // Includes HTTP requests, each RPC method call on a stub, and alarm invocations.
  doRequest: { usd: 0.15, per: 1e6, unit: "request", included: "1 million / month", source: DURABLE_OBJECTS },
  // Wall-clock time while active, billed at 128 MB per object.
  doGbSecond: { usd: 12.5, per: 1e6, unit: "GB-s", included: "400,000 GB-s / month", source: DURABLE_OBJECTS },
  // SQLite storage backend; each setAlarm() is one row written, deletes count as rows written.
  rowRead: { usd: 0.001, per: 1e6, unit: "row read", included: "25 billion / month", source: DURABLE_OBJECTS },
  rowWritten: { usd: 1.0, per: 1e6, unit: "row written", included: "50 million / month", source: DURABLE_OBJECTS },
  doStoredGbMonth: { usd: 0.2, per: 1, unit: "GB-month", included: "5 GB-month", source: DURABLE_OBJECTS },
  // Class A: PutObject, ListObjects, CreateMultipartUpload, UploadPart, CompleteMultipartUpload, ...
  r2ClassA: { usd: 4.5, per: 1e6, unit: "class A op", included: "1 million / month", source: R2 },
  // Class B: GetObject, HeadObject, ...; DeleteObject and AbortMultipartUpload are free.
  r2ClassB: { usd: 0.36, per: 1e6, unit: "class B op", included: "10 million / month", source: R2 },
  r2StoredGbMonth: { usd: 0.015, per: 1, unit: "GB-month", included: "10 GB-month", source: R2 },
} satisfies Record<string, Price>;

/** Memory every Durable Object is billed for, whatever it uses. */
export const DO_BILLED_GB = 0.125;

/**
 * The reference: a phone carrier's call recording. Twilio Programmable Voice recording lists
 * $0.0025 per recorded minute plus $0.0005 per minute-month of storage (https://www.twilio.com/en-us/voice/pricing/us).
 */
export const REFERENCE = {
  label: "Twilio call recording",
  usdPerThousandMinutes: 2.5,
  storageUsdPerThousandMinuteMonths: 0.5,
  source: "https://www.twilio.com/en-us/voice/pricing/us",
};

export const unitPrice = (p: Price): number => p.usd / p.per;
