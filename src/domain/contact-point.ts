// Contact points are named by ISO 3166-1 alpha-2 code (BE, NL, ...) or an EU body code (OLAF).
// The code is also a NATS subject token, so the rule keeps it free of dots, wildcards and spaces.

export const CP_CODE_PATTERN = /^(?:[A-Z]{2}|[A-Z][A-Z0-9]{2,9})$/;

/** The hub's own identity in receipts, notices and the registry. Not a contact point. */
export const HUB = "HUB";

export function isContactPointCode(code: string): boolean {
  return CP_CODE_PATTERN.test(code) && code !== HUB;
}
