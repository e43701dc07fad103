/** Card numbers for redaction tests: the Luhn check digit, computed here (independent of the SDK's detector). */

/** `body` followed by the digit that makes the whole number pass the Luhn check. */
export function withLuhnDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return `${body}${(10 - (sum % 10)) % 10}`;
}
