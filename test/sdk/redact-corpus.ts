/**
 * Corpora for the built-in detectors (sdk/redact/detectors.ts). PRECISION: realistic strings with no PII
 * that every detector must leave unchanged (ids, times, versions, prices, tracking numbers...). RECALL:
 * PII in realistic sentences, each with the value that must disappear. Deterministic (a seeded generator).
 */
import { withLuhnDigit } from "../support/luhn.ts";

let seed = 0x2f6e2b1;
/** Mulberry32: a small deterministic generator, so a failure names the same string every run. */
function rand(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
const digits = (n: number) => Array.from({ length: n }, () => String(int(0, 9))).join("");
const hex = (n: number) => Array.from({ length: n }, () => "0123456789abcdef"[int(0, 15)]).join("");
const pick = <T>(items: readonly T[]) => items[int(0, items.length - 1)]!;
const pad = (n: number, w = 2) => String(n).padStart(w, "0");
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

const card = (prefix: string, length: number) => withLuhnDigit(prefix + digits(length - prefix.length - 1));

function precision(): string[] {
  const out: string[] = [];
  const times = (n: number, f: () => string) => {
    for (let i = 0; i < n; i++) out.push(f());
  };
  const epochMs = () => 1_600_000_000_000 + int(0, 400_000_000) * 1000 + int(0, 999);
  // Epoch numbers (s, ms, µs, ns), alone and in log lines; about one in ten passes Luhn.
  times(40, () => String(epochMs()));
  times(20, () => `${epochMs()}${digits(3)}`);
  times(10, () => `${epochMs()}${digits(6)}`);
  times(15, () => String(Math.floor(epochMs() / 1000)));
  times(15, () => `ts=${epochMs()} level=info msg="turn ended" latency_ms=${int(20, 2000)}`);
  times(10, () => `{"t":${epochMs()},"seq":${int(0, 999)}}`);
  // ISO 8601 and RFC 2822 dates, times, durations.
  const iso = () =>
    `${int(2019, 2030)}-${pad(int(1, 12))}-${pad(int(1, 28))}T${pad(int(0, 23))}:${pad(int(0, 59))}:${pad(int(0, 59))}.${pad(int(0, 999), 3)}Z`;
  times(20, iso);
  times(10, () => iso().slice(0, 10));
  times(10, () => `${iso().slice(0, 19).replace("T", " ")}+0${int(1, 9)}:00`);
  times(
    15,
    () =>
      `${pick(DAYS)}, ${pad(int(1, 28))} ${pick(MONTHS)} ${int(2019, 2030)} ${pad(int(0, 23))}:${pad(int(0, 59))}:${pad(int(0, 59))} +0000`,
  );
  times(10, () => `${pad(int(0, 23))}:${pad(int(0, 59))}:${pad(int(0, 59))}`);
  times(10, () => `took ${int(1, 99999)} ms (${int(1, 59)}m ${int(1, 59)}s), PT${int(1, 9)}H${int(1, 59)}M`);
  times(
    10,
    () =>
      `${int(2019, 2030)}${pad(int(1, 12))}${pad(int(1, 28))}${pad(int(0, 23))}${pad(int(0, 59))}${pad(int(0, 59))}`,
  );
  // Ids: UUIDs, ULIDs, session ids with digits, trace ids, order numbers.
  times(20, () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`);
  times(15, () => Array.from({ length: 26 }, () => pick([...CROCKFORD])).join(""));
  times(15, () => `probe${int(1, 9)}-${epochMs()}`);
  times(10, () => `sess_${epochMs()}${hex(6)}`);
  times(10, () => `call-${int(2019, 2030)}${pad(int(1, 12))}${pad(int(1, 28))}-${digits(6)}`);
  times(10, () => `${hex(32)} ${hex(16)}`);
  times(15, () => `Order #${int(100000000, 999999999)} confirmed (ORD-${int(2019, 2030)}-${digits(6)})`);
  times(10, () => `invoice INV${digits(12)} ref ${digits(8)}`);
  times(10, () => `user_${digits(16)}x`);
  times(10, () => `id=${digits(4)}${card("4", 16)}`); // a card-like run inside a longer digit run
  times(10, () => `acct${card("5", 16)}`); // glued to letters
  // Network, versions, prices, quantities.
  times(15, () => `${int(1, 223)}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}:${int(1024, 65535)}`);
  times(10, () => `2001:db8:${hex(4)}::${hex(4)}`);
  times(
    15,
    () =>
      `v${int(0, 30)}.${int(0, 99)}.${int(0, 999)} (build ${int(2019, 2030)}.${pad(int(1, 12))}.${int(1000, 9999)})`,
  );
  times(
    10,
    () =>
      `node ${int(14, 24)}.${int(0, 20)}.${int(0, 9)}, chrome ${int(100, 160)}.0.${int(1000, 9999)}.${int(10, 999)}`,
  );
  times(
    15,
    () =>
      `$${int(1, 99)},${int(100, 999)}.${pad(int(0, 99))} / €${int(1, 9999)},${pad(int(0, 99))} / ${int(1, 9)} ${int(100, 999)} ${int(100, 999)} USD`,
  );
  times(10, () => `qty ${int(1, 500)} x ${int(1, 99)}.${pad(int(0, 99))} = ${int(1, 50000)}.${pad(int(0, 99))}`);
  // Tracking numbers (UPS, FedEx, USPS, DHL).
  times(10, () => `1Z${hex(6).toUpperCase()}${digits(10)}`);
  times(10, () => `FedEx ${digits(4)} ${digits(4)} ${digits(4)}`);
  times(10, () => `USPS 9400 ${digits(4)} ${digits(4)} ${digits(4)} ${digits(4)} ${digits(2)}`);
  times(10, () => `DHL JD${digits(18)}`);
  // Phone-shaped but not phones: dates with dashes, version triplets, port lists, coordinates.
  times(10, () => `${int(2019, 2030)}-${pad(int(1, 12))}-${pad(int(1, 28))} ${pad(int(0, 23))}:${pad(int(0, 59))}`);
  times(10, () => `lat ${int(-89, 89)}.${digits(6)}, lon ${int(-179, 179)}.${digits(6)}`);
  times(10, () => `ports ${int(1000, 9999)}-${int(1000, 9999)}, pid ${int(100, 99999)}`);
  return out;
}

export interface RecallCase {
  text: string;
  /** Values that must be gone after redaction. */
  secrets: string[];
}

function recall(): RecallCase[] {
  const out: RecallCase[] = [];
  const add = (secret: string, sentence: (s: string) => string) =>
    out.push({ text: sentence(secret), secrets: [secret] });
  const who = () => pick(["jane.doe", "j.smith", "maria_garcia", "ops+alerts", "li.wei"]);
  const domain = () => pick(["example.com", "mail.example.co.uk", "example.org", "sub.example.io"]);
  for (let i = 0; i < 15; i++) add(`${who()}${int(1, 99)}@${domain()}`, (s) => `You can email me at ${s}, thanks.`);
  for (let i = 0; i < 5; i++) add(`${who()}@${domain()}`, (s) => `reply-to: <${s}>`);
  const cards: [string, number, string][] = [
    ["4", 16, "Visa"],
    ["4", 13, "Visa"],
    ["5" + int(1, 5), 16, "Mastercard"],
    [String(int(2221, 2720)), 16, "Mastercard"],
    ["34", 15, "Amex"],
    ["37", 15, "Amex"],
    ["6011", 16, "Discover"],
    ["65", 16, "Discover"],
    [String(int(3528, 3589)), 16, "JCB"],
    ["30" + int(0, 5), 14, "Diners"],
    ["36", 14, "Diners"],
    ["62", 16, "UnionPay"],
    ["62", 19, "UnionPay"],
  ];
  for (const [prefix, length, brand] of cards) {
    for (let i = 0; i < 3; i++) {
      const n = card(prefix, length);
      add(n, (s) => `My ${brand} is ${s} expiring 09/29.`);
      const grouped =
        length === 15 ? `${n.slice(0, 4)} ${n.slice(4, 10)} ${n.slice(10)}` : n.replace(/(\d{4})(?=\d)/g, "$1 ");
      add(grouped, (s) => `card number: ${s}`);
      add(n.replace(/(\d{4})(?=\d)/g, "$1-"), (s) => `Charge ${s}, CVV on file.`);
    }
  }
  const area = () => String(int(201, 989)).replace(/^(\d)1/, "$12");
  for (let i = 0; i < 10; i++) add(`+1${area()}555${digits(4)}`, (s) => `Call me back on ${s} after five.`);
  for (let i = 0; i < 5; i++) add(`+1 (${area()}) 555-${digits(4)}`, (s) => `Phone: ${s}`);
  for (let i = 0; i < 5; i++) add(`(${area()}) 555-${digits(4)}`, (s) => `my number is ${s}.`);
  for (let i = 0; i < 5; i++) add(`${area()}-555-${digits(4)}`, (s) => `text ${s} when you arrive`);
  for (let i = 0; i < 5; i++) add(`${area()}.555.${digits(4)}`, (s) => `tel ${s}`);
  for (let i = 0; i < 5; i++) add(`+44 20 ${digits(4)} ${digits(4)}`, (s) => `London office ${s}`);
  for (let i = 0; i < 5; i++) add(`+44 7700 ${digits(6)}`, (s) => `mobile ${s}`);
  for (let i = 0; i < 5; i++) add(`07700 ${digits(6)}`, (s) => `ring ${s} please`);
  for (let i = 0; i < 5; i++) add(`020 ${digits(4)} ${digits(4)}`, (s) => `landline ${s}`);
  for (let i = 0; i < 5; i++) add(`+49 30 ${digits(8)}`, (s) => `Berlin: ${s}`);
  for (let i = 0; i < 5; i++) add(`+33 1 ${digits(2)} ${digits(2)} ${digits(2)} ${digits(2)}`, (s) => `Paris ${s}`);
  for (let i = 0; i < 5; i++) add(`+91 ${int(70000, 99999)} ${digits(5)}`, (s) => `India: ${s}`);
  for (let i = 0; i < 5; i++) add(`${area()}${int(200, 999)}${digits(4)}`, (s) => `my phone number is ${s}`);
  for (let i = 0; i < 10; i++)
    add(`${int(100, 665)}-${pad(int(10, 99))}-${int(1000, 9999)}`, (s) => `SSN ${s} on the form`);
  for (let i = 0; i < 10; i++)
    add(
      `${pick(["AB", "CE", "JH", "PR", "WX"])} ${digits(2)} ${digits(2)} ${digits(2)} ${pick(["A", "B", "C", "D"])}`,
      (s) => `NI number ${s}.`,
    );
  return out;
}

export const PRECISION_CORPUS = precision();
export const RECALL_CORPUS = recall();
