// The data services' hub-internal operations for the supervisory authority (HUB_SUPERVISION): the
// endpoint each data service serves, and the console's call. Plain protobuf on a hub-account
// subject (as `erase-due`): the caller is a hub service, not a contact point, so nothing is sealed;
// the supervisor's identity is the console's to vouch for and travels in the request.
import type { NatsConnection } from "@nats-io/nats-core";
import { decodeAs } from "../crypto/mod.js";
import { requestService, subjects, type EndpointDef } from "../nats/mod.js";
import type { pb } from "../proto/mod.js";
import { HUB_SUPERVISION, type HubService } from "./operations.js";

/** What a data service does for a supervisor. */
export interface SupervisionHandlers {
  /** Sets or lifts a supervisor's legal hold on one of its objects (audited by the service). */
  supervisorHold(request: pb.SupervisorHoldChange): Promise<pb.IHoldState>;
}

/** The subject `service` serves `op` on. */
export const supervisionSubject = (service: HubService, op: keyof typeof HUB_SUPERVISION) => subjects.api(service, HUB_SUPERVISION[op].name);

/** The endpoints a data service serves for supervisors. */
export function supervisionEndpoints(service: HubService, handlers: SupervisionHandlers): EndpointDef[] {
  const hold = HUB_SUPERVISION.supervisorHold;
  return [
    {
      name: hold.name,
      subject: supervisionSubject(service, "supervisorHold"),
      handler: async (msg) => {
        const request = decodeAs((b) => hold.request.decode(b), msg.data, "SupervisorHoldChange");
        return hold.reply.encode(await handlers.supervisorHold(request)).finish();
      },
    },
  ];
}

/** The console's call: a supervisor's hold set or lifted on `service`'s object; the hold as it now stands. */
export async function callSupervisorHold(nc: NatsConnection, service: HubService, request: pb.ISupervisorHoldChange, timeoutMs = 10_000): Promise<pb.HoldState> {
  const hold = HUB_SUPERVISION.supervisorHold;
  const bytes = await requestService(nc, supervisionSubject(service, "supervisorHold"), hold.request.encode(request).finish(), timeoutMs);
  return decodeAs((b) => hold.reply.decode(b), bytes, "HoldState");
}
