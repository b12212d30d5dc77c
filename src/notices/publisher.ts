// Notices from the hub to a contact point's inbox (hits, review reminders, erasures, dormancy),
// signed with the hub's key like receipts, so the access point can tell them from forgeries.
import type { NatsConnection } from "@nats-io/nats-core";
import { BatchSigner, Ed25519Signer, newId, type ContactPointKeys } from "../crypto/mod.js";
import { JsPublisher, subjects } from "../nats/mod.js";
import { pb } from "../proto/mod.js";

export class NoticePublisher {
  readonly #signer: BatchSigner;
  readonly #pub: JsPublisher;

  constructor(nc: NatsConnection, hubKeys: ContactPointKeys, private readonly now: () => number = Date.now) {
    this.#signer = new BatchSigner(new Ed25519Signer(hubKeys.signing), { now });
    this.#pub = new JsPublisher(nc);
  }

  /** Signs and delivers a notice; the id makes a retry a no-op. Resolves once it is in the inbox. */
  async send(notice: pb.INotice): Promise<pb.INotice> {
    const n: pb.INotice = { id: newId(), atMs: this.now(), ...notice };
    const bytes = pb.Notice.encode(n).finish();
    const signature = await this.#signer.sign("notice", bytes);
    await this.#pub.publish(subjects.inbox(n.addressee ?? "", "normal"), pb.InboxItem.encode({ notice: { notice: bytes, signature } }).finish(), {
      msgID: `notice.${n.id}`,
      expectStream: "INBOX",
    });
    return n;
  }

  close(): void {
    this.#pub.close();
  }
}
