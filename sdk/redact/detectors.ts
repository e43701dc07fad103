/**
 * The built-in detectors. Each favours precision: ids, timestamps, versions and prices must survive,
 * or users switch redaction off and it protects nothing. What each matches and misses: docs/privacy.md.
 */
export const DETECTORS = ["email", "phone", "card", "us_ssn", "uk_nino"] as const;
export type DetectorName = (typeof DETECTORS)[number];

export interface Detector {
  type: string;
  regex: RegExp;
  /** Further check on a match (Luhn, issuer, context); the match is kept when it returns false. */
  accept?: (match: string, text: string, offset: number) => boolean;
  /** A cheap test the text must pass for the detector to run at all (most text has no '@' or digits). */
  hint?: (text: string) => boolean;
}

export function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Issuer prefix (IIN) and length of the major networks, as Presidio's and Google DLP's card detectors check. */
export function knownIssuer(d: string): boolean {
  const n = d.length;
  const p2 = Number(d.slice(0, 2));
  const p3 = Number(d.slice(0, 3));
  const p4 = Number(d.slice(0, 4));
  const p6 = Number(d.slice(0, 6));
  if (d[0] === "4") return n === 13 || n === 16 || n === 19; // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16; // Mastercard (incl. 2-series)
  if (p2 === 34 || p2 === 37) return n === 15; // American Express
  if (p4 === 6011 || p2 === 65 || (p3 >= 644 && p3 <= 649) || (p6 >= 622126 && p6 <= 622925)) return n >= 16 && n <= 19; // Discover
  if (p4 >= 3528 && p4 <= 3589) return n >= 16 && n <= 19; // JCB
  if ((p3 >= 300 && p3 <= 305) || p4 === 3095 || p2 === 36 || p2 === 38 || p2 === 39) return n >= 14 && n <= 19; // Diners
  if (p2 === 62) return n >= 16 && n <= 19; // UnionPay
  return false;
}

export const isCardNumber = (digits: string) => /^\d{13,19}$/.test(digits) && knownIssuer(digits) && luhn(digits);

const hasAt = (text: string) => text.includes("@");
const hasDigit = (text: string) => /\d/.test(text);

/** Words before a phone number written as bare digits (Presidio raises a match's score on such context). */
const PHONE_CONTEXT = /\b(?:phone|mobile|cell|cellphone|tel|telephone|call|ring|text|sms|whatsapp|fax)\b/i;

/** Not part of a longer token: no word character, and no digit across one separator, on either side. */
const L = String.raw`(?<![\w+./:-])(?<!\d[ ,])`;
const R = String.raw`(?![\w])(?![.,:/-]?\d)`;

export const BUILT_IN: Record<DetectorName, Detector> = {
  email: {
    type: "email",
    hint: hasAt,
    regex:
      /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}(?![A-Za-z0-9-])/g,
  },
  // 13-19 digits, contiguous or in groups of 4 (4-6-5/4-6-4 for Amex/Diners) with one kind of separator,
  // never glued to letters or inside a longer digit run; then issuer prefix + length, then Luhn.
  card: {
    type: "card",
    hint: hasDigit,
    regex: new RegExp(
      String.raw`(?<![\w])(?<!\d[ .,-])(?<![A-Za-z]-)(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{1,4}(?:\1\d{1,3})?|\d{4}([ -])\d{6}\2\d{4,5})(?![\w])(?![ .,-]\d)`,
      "g",
    ),
    accept: (m) => isCardNumber(m.replace(/[ -]/g, "")),
  },
  // US Social Security number with separators: 123-45-6789 or 123 45 6789 (not 000/666/9xx, 00, 0000).
  us_ssn: {
    type: "us_ssn",
    hint: hasDigit,
    regex: /(?<![\w-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\w])(?!-\d)/g,
  },
  // UK National Insurance number: two letters, six digits, A-D (spaces allowed), excluding invalid prefixes.
  uk_nino: {
    type: "uk_nino",
    hint: hasDigit,
    regex:
      /(?<![A-Za-z0-9])(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])/gi,
  },
  // E.164 / international (+, 8-15 digits); North American with separators ((415) 555-0155, 415-555-0155,
  // 415.555.0155, 1 415 555 0155); national numbers with a trunk 0 and separators (020 7946 0958,
  // 07700 900123); bare 10-11 digit national numbers only after a phone word ("call 4155550155").
  phone: {
    type: "phone",
    hint: hasDigit,
    regex: new RegExp(
      `${L}(?:` +
        String.raw`\+\d{1,3}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]?\d{1,5}){1,6}` +
        String.raw`|(?:1[ .-])?(?:\([2-9]\d{2}\)[ .-]?|[2-9]\d{2}[ .-])\d{3}[ .-]\d{4}` +
        String.raw`|0\d{2,4}[ -]\d{3,4}(?:[ -]?\d{3,4})?` +
        String.raw`|[2-9]\d{2}[2-9]\d{6}|1[2-9]\d{2}[2-9]\d{6}|0\d{9,10}` +
        `)${R}`,
      "g",
    ),
    accept: (m, text, offset) => {
      const n = m.replace(/\D/g, "").length;
      if (m.startsWith("+")) return n >= 8 && n <= 15;
      if (n < 10 || n > 11) return false;
      if (/^\d+$/.test(m)) return PHONE_CONTEXT.test(text.slice(Math.max(0, offset - 40), offset));
      return true;
    },
  },
};

/** The order detectors run in (cards before phone numbers: both are digit runs). */
export const DETECTOR_ORDER: DetectorName[] = ["email", "card", "us_ssn", "uk_nino", "phone"];
