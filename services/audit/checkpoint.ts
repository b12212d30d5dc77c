// The appender's checkpoint in KV `state`: the tree size, the last AUDIT sequence whose events are
// all in the tree, and the root at that size. It is the source of truth a restart resumes from, and
// its KV revision is the fencing token: every commit is a compare-and-swap on the revision it read.
import type { KV } from "@nats-io/kv";
import { z } from "zod";
import { LiaisonError } from "../../src/errors.js";
import { FencedError, isWrongLastSequence } from "./fencing.js";

export const CHECKPOINT_KEY = "audit.checkpoint";

const checkpointSchema = z.object({
  v: z.literal(1),
  treeSize: z.number().int().nonnegative(),
  streamSeq: z.number().int().nonnegative(),
  root: z.string(),
  chunkLeaves: z.number().int().positive(),
  /** The instance that wrote it (informational: the revision is what fences). */
  owner: z.string(),
  atMs: z.number().int(),
});
export type Checkpoint = z.infer<typeof checkpointSchema>;

export interface StoredCheckpoint {
  readonly checkpoint: Checkpoint;
  readonly revision: number;
}

const encode = (c: Checkpoint) => new TextEncoder().encode(JSON.stringify(c));

export class CheckpointStore {
  readonly #kv: KV;

  constructor(kv: KV) {
    this.#kv = kv;
  }

  async read(): Promise<StoredCheckpoint | undefined> {
    const e = await this.#kv.get(CHECKPOINT_KEY);
    if (!e || e.operation !== "PUT" || e.value.length === 0) return undefined;
    let raw: unknown;
    try {
      raw = JSON.parse(new TextDecoder().decode(e.value));
    } catch (err) {
      throw new LiaisonError("LIAISON_INTERNAL", "the audit checkpoint is not JSON", { cause: err });
    }
    const parsed = checkpointSchema.safeParse(raw);
    if (!parsed.success) throw new LiaisonError("LIAISON_INTERNAL", `the audit checkpoint is malformed: ${z.prettifyError(parsed.error)}`);
    return { checkpoint: parsed.data, revision: e.revision };
  }

  /** Writes `c` if the stored revision is still `revision` (0: if there is none); else FencedError. */
  async commit(c: Checkpoint, revision: number): Promise<number> {
    try {
      return revision === 0 ? await this.#kv.create(CHECKPOINT_KEY, encode(c)) : await this.#kv.update(CHECKPOINT_KEY, encode(c), revision);
    } catch (err) {
      if (isWrongLastSequence(err)) throw new FencedError("the audit checkpoint moved on", { cause: err });
      throw err;
    }
  }

  /** Calls back on every new checkpoint another instance commits. */
  async watch(onChange: (s: StoredCheckpoint) => void): Promise<() => void> {
    const it = await this.#kv.watch({ key: CHECKPOINT_KEY });
    void (async () => {
      for await (const e of it) {
        if (e.operation !== "PUT") continue;
        const parsed = checkpointSchema.safeParse(JSON.parse(new TextDecoder().decode(e.value)));
        if (parsed.success) onChange({ checkpoint: parsed.data, revision: e.revision });
      }
    })();
    return () => it.stop();
  }
}
