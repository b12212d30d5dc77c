// Wires the operations service (the calendar of joint customs operations): its KV bucket
// "operations", the registry, audit and notices, and its sealed endpoints for contact points
// (liaison.v1.operations.<CP>.<op>, HUB_OPERATIONS.operations) as a micro service.
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { AuditEmitter, logRegistryRefusal } from "../../src/audit/mod.js";
import type { ContactPointKeys } from "../../src/crypto/mod.js";
import { DEFAULT_OPERATION_RETENTION, HUB, type OperationRetentionSettings } from "../../src/domain/mod.js";
import { hubOps, HubRpcServer, type HubHandlers, type HubOp } from "../../src/hub-rpc/mod.js";
import type { Logger } from "../../src/log/mod.js";
import { startMicroService } from "../../src/nats/mod.js";
import { NoticePublisher } from "../../src/notices/mod.js";
import { watchRegistry, type RegistryTrust } from "../../src/registry/mod.js";
import { OPERATION_ITEMS_STORE } from "../../src/hub-data/mod.js";
import { consoleCalendarEndpoint } from "./console-calendar.js";
import { OperationErasure, type ErasableItems } from "./erasure.js";
import { OperationsHandlers } from "./handlers.js";
import { OperationItems, type ItemLimits } from "./items.js";

export const OPERATIONS_BUCKET = "operations";

export interface OperationsSettings {
  /** The registry public key entries must be signed with. */
  readonly registryTrust: RegistryTrust;
  /** How long an operation's items and entry are kept after its final report phase (default DEFAULT_OPERATION_RETENTION). */
  readonly retention?: OperationRetentionSettings;
}

export interface OperationsOptions {
  /** The clock of its records, events and notices (Date.now by default). */
  readonly now?: () => number;
  /** What erases an operation's sealed items (default: the keys `item.<id>.*` of bucket "operation-items"). */
  readonly items?: ErasableItems;
  /** The items' caps (envelope size, items per operation, bytes per `items` page); tests lower them. */
  readonly itemLimits?: Partial<ItemLimits>;
}

export interface RunningOperations {
  readonly handlers: OperationsHandlers;
  /** Documents, comments, group messages and recommendations (and eraseOperation for the retention service). */
  readonly items: OperationItems;
  counts(): Record<string, number>;
  close(): Promise<void>;
}

export async function startOperations(nc: NatsConnection, cfg: OperationsSettings, hubKeys: ContactPointKeys, log: Logger, opts: OperationsOptions = {}): Promise<RunningOperations> {
  const now = opts.now ?? Date.now;
  const audit = new AuditEmitter(nc, "operations", { now });
  const registry = await watchRegistry(nc, log, { trust: cfg.registryTrust, now, onRefused: logRegistryRefusal(audit, HUB) });
  const notices = new NoticePublisher(nc, hubKeys, now);
  const kvm = new Kvm(nc);
  const kv = await kvm.open(OPERATIONS_BUCKET);
  const handlers = new OperationsHandlers({ kv, audit, notices, registry: () => registry.view, log, now });
  await handlers.follow();
  const items = new OperationItems({
    kv: await kvm.open(OPERATION_ITEMS_STORE.bucket),
    audit,
    registry: () => registry.view,
    operation: (id) => handlers.current(id),
    operations: () => handlers.names(),
    now,
    itemsClosed: (id): Promise<boolean> => erasure.itemsClosed(id),
    ...(opts.itemLimits ? { limits: opts.itemLimits } : {}),
  });
  const counts = () => ({ operations: handlers.size });
  const erasure = new OperationErasure({ kv, items: opts.items ?? items, audit, notices, registry: () => registry.view, retention: cfg.retention ?? DEFAULT_OPERATION_RETENTION, log, now });
  const rpc = new HubRpcServer(hubKeys, () => registry.view, now, audit);
  const served: HubHandlers<"operations"> = {
    create: (c) => handlers.create(c),
    update: (c) => handlers.update(c),
    get: (c) => handlers.get(c),
    calendar: (c) => handlers.calendar(c),
    post: (c) => items.post(c),
    items: (c) => items.items(c),
    adopt: (c) => items.adopt(c),
    track: (c) => items.track(c),
    recommendations: (c) => items.recommendations(c),
  };
  const endpoint = <O extends HubOp<"operations">>(op: O) => rpc.endpoint("operations", op, served[op]);
  const svc = await startMicroService(nc, {
    name: "operations",
    description: "Joint customs operations: the calendar of operations and their overlaps in timing and objectives",
    log,
    endpoints: [...hubOps("operations").map((op) => endpoint(op)), ...erasure.endpoints(), consoleCalendarEndpoint(handlers)],
    stats: async () => counts(),
  });
  return {
    handlers,
    items,
    counts,
    close: async () => {
      await svc.stop();
      handlers.stop();
      await audit.end();
      notices.close();
      registry.stop();
    },
  };
}
