// Search over the access point's own messages (subject and body) without keeping their words: each
// word, folded (src/domain foldText), is kept only as a blind reference, HMAC-SHA256 under a key this
// process draws at start and never writes anywhere (src/crypto/blind-index.ts); a query is blinded
// the same way. Nothing of it is stored: it lives in memory beside the message index and is rebuilt
// on demand after a restart, by opening a message here, which is not a read (no read receipt).
import { BlindIndexer, hex, randomBytes } from "../../src/crypto/mod.js";
import { foldText } from "../../src/domain/mod.js";
import type { pb } from "../../src/proto/mod.js";

/** The blind-index type of a word of a message's subject or body. */
const WORD = "message-word";
/** Words beyond this many in one query are refused by the API's schema long before (q is at most 200 characters). */
export const MAX_QUERY_WORDS = 32;

interface Indexed {
  readonly words: ReadonlySet<string>;
  /** A request's legal basis (0 when the message is not a request): a filter, not a search word. */
  readonly legalBasis: pb.LegalBasis | 0;
}

export class SearchIndex {
  readonly #blind = new BlindIndexer(randomBytes(32));
  readonly #byId = new Map<string, Indexed>();

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  get size(): number {
    return this.#byId.size;
  }

  /** Indexes an opened message's content; the caller drops the plaintext afterwards. */
  add(id: string, payload: pb.IPayload): void {
    const words = new Set(SearchIndex.words(`${payload.subject ?? ""} ${payload.body ?? ""}`).map((w) => this.#ref(w)));
    this.#byId.set(id, { words, legalBasis: payload.request ? (payload.request.legalBasis ?? 0) : 0 });
  }

  /** The blind references of a query's words: pass them to `matches`. */
  query(q: string): string[] {
    return [...new Set(SearchIndex.words(q).slice(0, MAX_QUERY_WORDS).map((w) => this.#ref(w)))];
  }

  /** Whether every word of a query occurs in the message; false for one not indexed, and for an empty query. */
  matches(id: string, refs: readonly string[]): boolean {
    const e = this.#byId.get(id);
    return e !== undefined && refs.length > 0 && refs.every((r) => e.words.has(r));
  }

  /** The legal basis of an indexed request; 0 for anything else or not indexed. */
  legalBasis(id: string): pb.LegalBasis | 0 {
    return this.#byId.get(id)?.legalBasis ?? 0;
  }

  /** Folded words: case, diacritics and punctuation do not matter ("Müller," finds "MULLER"). */
  static words(text: string): string[] {
    return foldText(text).split(" ").filter(Boolean);
  }

  #ref(word: string): string {
    return hex(this.#blind.ref(WORD, word));
  }
}
