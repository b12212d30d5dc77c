// The hub services' operation table (src/hub-rpc/operations.ts) is the proto `service` blocks'
// TypeScript side: same operations, same request and reply messages. A mismatch does not compile.
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import { AUDIT_API } from "../../src/audit/mod.js";
import { messageName } from "../../src/crypto/mod.js";
import { HUB_OPERATIONS, HUB_SUPERVISION, hubOps, supervisionSubject, type HubClient, type HubHandlers } from "../../src/hub-rpc/mod.js";
import { pb } from "../../src/proto/mod.js";

const protoDir = resolve(import.meta.dirname, "../../proto");

function loadProto(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith("/") ? target : join(protoDir, target));
  const files = readdirSync(join(protoDir, "liaison", "v1"))
    .filter((f) => f.endsWith(".proto"))
    .map((f) => join(protoDir, "liaison", "v1", f));
  root.loadSync(files, { keepCase: false }).resolveAll();
  return root;
}

const PROTO_SERVICE = { records: "liaison.v1.RecordsService", files: "liaison.v1.FilesService", operations: "liaison.v1.OperationsService" } as const;

describe("hub operations", () => {
  const root = loadProto();

  it("declares every proto service's rpcs, in order, with their request and reply messages", () => {
    for (const service of Object.keys(HUB_OPERATIONS) as Array<keyof typeof HUB_OPERATIONS>) {
      const declared = root.lookupService(PROTO_SERVICE[service]);
      const fromProto = declared.methodsArray.map((m) => ({ op: m.name.toLowerCase(), request: m.requestType, reply: m.responseType }));
      const ops: Readonly<Record<string, { request: { getTypeUrl(p?: string): string }; reply: { getTypeUrl(p?: string): string } }>> = HUB_OPERATIONS[service];
      const fromTable = hubOps(service).map((op) => ({ op, request: messageName(ops[op]!.request), reply: messageName(ops[op]!.reply) }));
      expect(fromTable, service).toEqual(fromProto);
    }
  });

  it("declares the audit service's rpcs as its endpoints, kebab-cased, an Empty request as none", () => {
    const declared = root.lookupService("liaison.v1.AuditService");
    const kebab = (name: string) => name.replace(/(?<=[a-z])(?=[A-Z])/g, "-").toLowerCase();
    const fromProto = declared.methodsArray.map((m) => ({ name: kebab(m.name), request: m.requestType === "google.protobuf.Empty" ? null : m.requestType, reply: m.responseType }));
    const fromTable = Object.values(AUDIT_API).map((o) => ({ name: o.name, request: o.request ? messageName(o.request) : null, reply: messageName(o.reply) }));
    expect(fromTable).toEqual(fromProto);
    expect(AUDIT_API.signHead.subject).toBe("liaison.v1.audit.api.sign-head");
  });

  it("declares the data services' supervision rpcs (hub-internal, kebab-cased) as HUB_SUPERVISION, on subjects no member operation listens on", () => {
    const declared = root.lookupService("liaison.v1.DataSupervisionService");
    const kebab = (name: string) => name.replace(/(?<=[a-z])(?=[A-Z])/g, "-").toLowerCase();
    const fromProto = declared.methodsArray.map((m) => ({ name: kebab(m.name), request: m.requestType, reply: m.responseType }));
    const fromTable = Object.values(HUB_SUPERVISION).map((o) => ({ name: o.name, request: messageName(o.request), reply: messageName(o.reply) }));
    expect(fromTable).toEqual(fromProto);
    // On the hub-internal subject, which no member's import reaches; never one of the sealed operations.
    expect(supervisionSubject("files", "supervisorHold")).toBe("liaison.v1.files.api.supervisor-hold");
    for (const service of ["records", "files"] as const) {
      const memberRequests = Object.values(HUB_OPERATIONS[service]).map((o: { request: { getTypeUrl(p?: string): string } }) => messageName(o.request));
      expect(memberRequests, service).not.toContain("SupervisorHoldChange");
      // A member's endpoint listens on liaison.v1.<service>.*.<op>: an op of the same name would take the console's requests.
      for (const o of Object.values(HUB_SUPERVISION)) expect(hubOps(service), service).not.toContain(o.name);
    }
  });

  it("has a table entry for every hub service in proto/", () => {
    const services: string[] = [];
    root.nestedArray.forEach(function walk(n: protobuf.ReflectionObject): void {
      if (n instanceof protobuf.Service) services.push(n.fullName.replace(/^\./, ""));
      if (n instanceof protobuf.Namespace) n.nestedArray.forEach(walk);
    });
    expect(services.sort()).toEqual([...Object.values(PROTO_SERVICE), "liaison.v1.AuditService", "liaison.v1.DataSupervisionService"].sort());
  });

  it("names each message as the wire's error texts do", () => {
    expect(messageName(pb.RecordSubmit)).toBe("RecordSubmit");
    expect(messageName(HUB_OPERATIONS.files.status.reply)).toBe("FileStatusChanged");
  });

  it("types a call and a handler by its operation (checked by tsc, not at run time)", () => {
    const typed = async (hub: HubClient) => {
      const submitted: pb.RecordSubmitted = await hub.call("records", "submit", "op", { content: {} });
      // @ts-expect-error a files request sent to a records operation
      await hub.call("records", "get", "op", { entryId: "x" });
      // @ts-expect-error an operation the service does not have
      await hub.call("files", "submit", "op", {});
      // @ts-expect-error the reply of another operation
      const wrong: pb.FileEntryView = await hub.call("records", "get", "op", { recordId: "x" });
      // @ts-expect-error serialised bytes instead of the request
      await hub.call("files", "get", "op", pb.FileRef.encode({ entryId: "x" }).finish());
      return [submitted, wrong];
    };
    const handlers: Pick<HubHandlers<"files">, "get"> = {
      // @ts-expect-error a handler answering with another operation's reply
      get: async (call) => ({ recordId: call.request.entryId }),
    };
    expect(typeof typed).toBe("function");
    expect(Object.keys(handlers)).toEqual(["get"]);
  });
});
