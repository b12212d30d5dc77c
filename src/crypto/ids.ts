// Identifiers: UUIDv7 (RFC 9562), time-ordered so stores and logs sort by creation, with the random
// part drawn from the pooled CSPRNG.
import { v7 } from "uuid";
import { randomBytes } from "./random.js";

export function newId(): string {
  return v7({ random: randomBytes(16) });
}
