// What the /v1/records, /v1/files and /v1/operations routes share: a call to one hub service as the
// acting user, and the route config naming the roles that may act and what the audit log records.
import { rolesWith, type Permission } from "../../../src/domain/mod.js";
import type { HubClient, HubOp, HubRequestInput, HubService } from "../../../src/hub-rpc/mod.js";
import { pb } from "../../../src/proto/mod.js";

export function hubRoutes<S extends HubService>(hub: HubClient, service: S, objectType: string, permissions: { readonly read: Permission; readonly write: Permission }) {
  return {
    call: <O extends HubOp<S>>(op: O, user: string, request: HubRequestInput<S, O>) => hub.call(service, op, user, request),
    /** A read needs the read permission, anything else the write one; `objectParam` names the route param that holds the object's id. */
    audit: (action: pb.AuditAction, type = objectType, objectParam: string | undefined = "id") => ({
      roles: rolesWith(action === pb.AuditAction.AUDIT_ACTION_READ ? permissions.read : permissions.write),
      audit: { action, objectType: type, ...(objectParam ? { objectParam } : {}) },
    }),
  };
}
