// Who reaches which large-file store (docs/large-files.md): a member's account imports the direct
// get of its own store only, and writes (never reads) into the other members' stores.
import { describe, expect, it } from "vitest";
import { memberImports, natsAccountsConfig } from "../../src/nats/mod.js";

const CPS = ["BE", "NL", "DE"];

describe("large-file store imports", () => {
  it("gives a member the direct get of its own store and no other's", () => {
    const reads = memberImports("NL", CPS).filter((i) => i.subject.includes("DIRECT.GET"));
    expect(reads).toEqual([{ kind: "service", subject: "$JS.API.DIRECT.GET.OBJ_large-files-NL", to: "liaison.v1.hub-js.DIRECT.GET.OBJ_large-files-NL" }]);
  });

  it("lets a member write chunks and object records into the others' stores, not its own", () => {
    const writes = memberImports("NL", CPS).filter((i) => i.subject.startsWith("$O."));
    expect(writes.map((i) => i.subject).sort()).toEqual(["$O.large-files-BE.C.>", "$O.large-files-BE.M.>", "$O.large-files-DE.C.>", "$O.large-files-DE.M.>"]);
    // No JetStream API of another member's store: no read, no purge, no consumer.
    expect(memberImports("NL", CPS).filter((i) => i.subject.includes("OBJ_large-files-BE") || i.subject.includes("OBJ_large-files-DE"))).toEqual([]);
  });

  it("exports a store's direct get to its own member's account alone", () => {
    const conf = natsAccountsConfig({
      hub: [],
      contactPoints: CPS.map((cp, i) => ({ cp, name: `ap-${cp}`, nkey: `U${String(i).repeat(55)}` })),
    });
    expect(conf).toContain('{ service: "$JS.API.DIRECT.GET.OBJ_large-files-NL", accounts: ["NL"] }');
    expect(conf).toContain('{ service: "$O.large-files-NL.C.>", accounts: ["BE", "DE"] }');
  });
});
