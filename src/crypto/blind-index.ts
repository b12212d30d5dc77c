// Blind indexes: identifiers are stored only as HMAC-SHA256 under the hub's secret of their
// normalised form (src/domain/identifiers.ts), so the hub can match a query without keeping any
// identifier in clear. Domain-separated by identifier type.
import { createHmac } from "node:crypto";
import { assertLength, utf8 } from "./bytes.js";

export class BlindIndexer {
  readonly #key: Uint8Array;

  constructor(key: Uint8Array) {
    this.#key = assertLength(key, 32, "blind-index key");
  }

  /** 32 bytes: HMAC-SHA256(key, "liaison.v1.blind-index" ‖ 0 ‖ type ‖ 0 ‖ normalised form). */
  ref(type: string, form: string): Uint8Array {
    return new Uint8Array(createHmac("sha256", this.#key).update(utf8(`liaison.v1.blind-index\0${type}\0${form}`)).digest());
  }
}
