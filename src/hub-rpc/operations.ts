// The hub services' operations for contact points (the `service` blocks of proto/liaison/v1), as
// data both sides use: each operation's request and reply message. HubClient.call and the
// services' handlers are typed from it; tests/unit/hub-operations.test.ts checks it against proto/.
import type { MessageType } from "../crypto/mod.js";
import { pb } from "../proto/mod.js";

export interface Operation<QI, Q, RI, R> {
  readonly request: MessageType<QI, Q>;
  readonly reply: MessageType<RI, R>;
}

const op = <QI, Q, RI, R>(request: MessageType<QI, Q>, reply: MessageType<RI, R>): Operation<QI, Q, RI, R> => ({ request, reply });

/** Service → operation (as on the wire: `records.submit`) → its request and reply. */
export const HUB_OPERATIONS = Object.freeze({
  records: Object.freeze({
    submit: op(pb.RecordSubmit, pb.RecordSubmitted),
    get: op(pb.RecordRef, pb.RecordView),
    query: op(pb.RecordQuery, pb.RecordQueryResult),
    amend: op(pb.RecordAmend, pb.RecordView),
    renew: op(pb.RecordRenew, pb.RecordView),
    erase: op(pb.RecordErase, pb.RecordErased),
    hold: op(pb.RecordHold, pb.RecordView),
    outcome: op(pb.HitOutcome, pb.HitOutcome),
  }),
  files: Object.freeze({
    register: op(pb.FileRegister, pb.FileRegistered),
    get: op(pb.FileRef, pb.FileEntryView),
    query: op(pb.FileQuery, pb.FileQueryResult),
    hit: op(pb.FileHitRef, pb.FileHit),
    status: op(pb.FileStatusChange, pb.FileStatusChanged),
    erase: op(pb.FileErase, pb.FileErased),
    hold: op(pb.FileHold, pb.FileEntryView),
  }),
  operations: Object.freeze({
    create: op(pb.OperationCreate, pb.OperationView),
    update: op(pb.OperationUpdate, pb.OperationView),
    get: op(pb.OperationRef, pb.OperationView),
    calendar: op(pb.CalendarQuery, pb.OperationCalendar),
    post: op(pb.OperationItemPost, pb.StoredOperationItem),
    items: op(pb.OperationItemQuery, pb.OperationItemList),
    adopt: op(pb.DocumentAdopt, pb.StoredOperationItem),
    track: op(pb.RecommendationChange, pb.StoredOperationItem),
    recommendations: op(pb.RecommendationQuery, pb.OperationItemList),
  }),
});

/**
 * The data services' hub-internal operations for the supervisory authority (`service
 * DataSupervisionService` in proto/liaison/v1/records.proto): both the records and the files
 * service serve each, on `liaison.v1.<service>.api.<name>`; the console calls them. They are not
 * contact-point operations: none is sealed, and no name is a member operation's, since a member's
 * endpoint `liaison.v1.<service>.*.<op>` would take that subject too.
 */
export const HUB_SUPERVISION = Object.freeze({
  /** A supervisor's legal hold on a record or a FIDE entry, set or lifted. Not "hold": that subject's last token is the members' own `hold`. */
  supervisorHold: Object.freeze({ name: "supervisor-hold", ...op(pb.SupervisorHoldChange, pb.HoldState) }),
});
export type HubSupervisionOp = keyof typeof HUB_SUPERVISION;

/**
 * The operations service's calendar for the hub's console (hub-internal, on
 * `liaison.v1.operations.api.console-calendar`, plain protobuf like HUB_SUPERVISION): the console
 * vouches for its user, whose read the operations service logs. Not a member operation's name.
 */
export const HUB_CONSOLE_CALENDAR = Object.freeze({ name: "console-calendar", ...op(pb.ConsoleCalendarQuery, pb.OperationCalendar) });

type Operations = typeof HUB_OPERATIONS;
export type HubService = keyof Operations;
export type HubOp<S extends HubService> = keyof Operations[S] & string;
type Parts<T> = T extends Operation<infer QI, infer Q, infer RI, infer R> ? { readonly requestIn: QI; readonly request: Q; readonly replyIn: RI; readonly reply: R } : never;
type PartsOf<S extends HubService, O extends HubOp<S>> = Parts<Operations[S][O]>;

/** What a caller passes for `service.op` (the request message's fields). */
export type HubRequestInput<S extends HubService, O extends HubOp<S>> = PartsOf<S, O>["requestIn"];
/** The request as the service's handler gets it, decoded. */
export type HubRequest<S extends HubService, O extends HubOp<S>> = PartsOf<S, O>["request"];
/** What a handler answers (the reply message's fields). */
export type HubReplyInput<S extends HubService, O extends HubOp<S>> = PartsOf<S, O>["replyIn"];
/** The answer as the caller gets it, decoded. */
export type HubReply<S extends HubService, O extends HubOp<S>> = PartsOf<S, O>["reply"];

/** The operations of `service`, in their declared order. */
export function hubOps<S extends HubService>(service: S): Array<HubOp<S>> {
  return Object.keys(HUB_OPERATIONS[service]) as Array<HubOp<S>>;
}

/** `service.op`'s request and reply types. */
export function operationOf<S extends HubService, O extends HubOp<S>>(service: S, op: O): Operation<HubRequestInput<S, O>, HubRequest<S, O>, HubReplyInput<S, O>, HubReply<S, O>> {
  return HUB_OPERATIONS[service][op] as unknown as Operation<HubRequestInput<S, O>, HubRequest<S, O>, HubReplyInput<S, O>, HubReply<S, O>>;
}
