// Losing the append fence: another instance committed a checkpoint (KV revision moved) or wrote a
// leaf chunk since this one last looked. Both show up as JetStream's "wrong last sequence".
import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";

export class FencedError extends Error {
  override readonly name = "FencedError";
}

export function isWrongLastSequence(err: unknown): boolean {
  return (
    (err instanceof JetStreamApiError &&
      (err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)) ||
    /wrong last sequence/i.test(String((err as Error)?.message))
  );
}
