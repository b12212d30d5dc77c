// Query-string integers. z.coerce.number() reads an empty value (`?limit=`) as 0, so a request that
// breaks the schema would be taken as a valid one; here an empty or non-numeric value is refused.
import { z } from "zod";

export function queryInt(min: number, max: number) {
  return z.preprocess((v) => (typeof v === "string" ? (/^\s*-?\d+\s*$/.test(v) ? Number(v) : Number.NaN) : v), z.number().int().min(min).max(max));
}
