// The calendar of operations for the hub's console (hub-internal: liaison.v1.operations.api.
// console-calendar): the same answer and the same audit event as a member's calendar call, the
// authority being the hub's operations team (OPERATIONS) and the user the console vouches for.
// Operations are not secret between members, and the hub holds them in clear (clear metadata only).
import { decodeAs } from "../../src/crypto/mod.js";
import { HUB_CONSOLE_CALENDAR } from "../../src/hub-rpc/mod.js";
import { subjects, type EndpointDef } from "../../src/nats/mod.js";
import { pb } from "../../src/proto/mod.js";
import type { OperationsHandlers } from "./handlers.js";

export function consoleCalendarEndpoint(handlers: OperationsHandlers): EndpointDef {
  return {
    name: HUB_CONSOLE_CALENDAR.name,
    subject: subjects.api("operations", HUB_CONSOLE_CALENDAR.name),
    handler: async (msg) => {
      const q = decodeAs((b) => HUB_CONSOLE_CALENDAR.request.decode(b), msg.data, "ConsoleCalendarQuery");
      const answer = await handlers.calendar({ cp: "OPERATIONS", userId: q.user, request: pb.CalendarQuery.create({ from: q.from, to: q.to }), requestId: "" });
      return HUB_CONSOLE_CALENDAR.reply.encode(answer).finish();
    },
  };
}
