// `liaison case <caseRef>`: the whole thread of a case, oldest first, each message as `read` prints
// it. Every message is opened at the access point: each read is logged, as for `read`.
import type { Command } from "commander";
import type { ThreadOut } from "../../api/mod.js";
import { callApi, resolveTarget, target, type Common } from "../client.js";
import { fail, printJson } from "../output.js";
import { messageLines } from "./messages.js";

export function register(program: Command): void {
  target(program.command("case <caseRef>").description("the thread of a case, oldest first (every message is opened; each read is logged)")).action(async (caseRef: string, o: Common) => {
    try {
      const t = await callApi<ThreadOut>(resolveTarget(o), "GET", `/v1/cases/${encodeURIComponent(caseRef)}`);
      if (o.json) return printJson(t);
      const out = [`Case ${t.caseRef}: ${t.messages.length} message(s)`];
      for (const m of t.messages) out.push("", "=".repeat(72), ...messageLines(m));
      process.stdout.write(out.join("\n") + "\n");
    } catch (err) {
      fail(err);
    }
  });
}
