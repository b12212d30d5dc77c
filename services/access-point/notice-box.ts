// The hub's notices to this contact point (verified on intake, kept in the store), and what a
// notice carries sealed to it, opened on request.
import { decodeAs, type Opener } from "../../src/crypto/mod.js";
import { HUB } from "../../src/domain/mod.js";
import { LiaisonError } from "../../src/errors.js";
import { pb } from "../../src/proto/mod.js";
import type { ApStore, StoredItem } from "./store.js";

export interface KeptNotice {
  notice: pb.Notice;
  seq: number;
}

export class NoticeBox {
  readonly #store: ApStore;
  readonly #opener: Opener;
  readonly #notices: KeptNotice[] = [];
  /** Called for each notice once it is stored and kept (not for those replayed at start). */
  readonly #onKept: (n: pb.Notice) => void;

  constructor(store: ApStore, opener: Opener, onKept: (n: pb.Notice) => void = () => {}) {
    this.#store = store;
    this.#opener = opener;
    this.#onKept = onKept;
  }

  list(): ReadonlyArray<KeptNotice> {
    return this.#notices;
  }

  /** Indexes a stored notice (replayed at start); throws if unreadable. */
  replay(item: StoredItem): void {
    this.#notices.push({ notice: pb.Notice.decode(pb.SignedNotice.decode(item.data).notice), seq: item.seq });
  }

  /** Stores a notice whose signature was verified, then keeps it. */
  async keep(sn: pb.ISignedNotice): Promise<void> {
    const notice = pb.Notice.decode(sn.notice ?? new Uint8Array());
    const seq = await this.#store.append("note", notice.id, pb.SignedNotice.encode(sn).finish());
    this.#notices.push({ notice, seq });
    this.#onKept(notice);
  }

  /**
   * What a notice carries sealed to this contact point (a hit's reported outcome), opened here;
   * undefined when it carries nothing sealed. The hub sealed it under the notice's own id, and
   * signed the notice, so it cannot be moved to another notice.
   */
  content(n: pb.Notice): string | undefined {
    if (!n.sealed?.length) return undefined;
    const opened = this.#opener.open(decodeAs((b) => pb.SealedContent.decode(b), n.sealed, "SealedContent"));
    if (opened.header.sender !== HUB || opened.header.id !== n.id) throw new LiaisonError("LIAISON_DECRYPT_FAILED", `notice ${n.id}: sealed content belongs to ${opened.header.id}`);
    const text = new TextDecoder().decode(opened.payload);
    opened.payload.fill(0);
    return text;
  }
}
