// `liaison usage [--from YYYY-MM] [--to YYYY-MM] [--cp XX]` and `liaison usage dormant`: the usage
// figures per contact point and month, and which members are dormant. Counts only.
import type { Command } from "commander";
import { iso } from "../../api/mod.js";
import { histogramQuantile } from "../../domain/mod.js";
import { pb } from "../../proto/mod.js";
import { UsageClient } from "../../usage/mod.js";
import { hubConnection } from "../hub-connection.js";
import { answer, printTable } from "../output.js";

/** To the minute, as the console shows it; a time the hub has not set is "never". */
const when = (ms: number | null | undefined) => iso(ms)?.slice(0, 16).replace("T", " ") ?? "never";
const dur = (s: number | undefined) => (s === undefined ? "" : s < 3_600 ? `≤${Math.round(s / 60)}m` : s < 86_400 ? `≤${Math.round(s / 3_600)}h` : `≤${Math.round(s / 86_400)}d`);

async function withClient<T>(f: (c: UsageClient) => Promise<T>): Promise<T> {
  const nc = await hubConnection("liaison-cli-usage");
  try {
    return await f(new UsageClient(nc));
  } finally {
    await nc.close();
  }
}

function printUsage(r: pb.UsageReport): void {
  printTable(
    r.counters.map((c) => {
      const h = (c.replyTimeHistogram ?? []).map(Number);
      return {
        cp: c.contactPoint,
        month: c.month,
        sent: Number(c.messagesSent),
        received: Number(c.messagesReceived),
        answered: Number(c.messagesAnswered),
        "reply p50": dur(histogramQuantile(h, 0.5)),
        "reply p90": dur(histogramQuantile(h, 0.9)),
        late: Number(c.repliesLate),
        "CIS sub/qry/hit": `${c.recordsSubmitted}/${c.recordsQueried}/${c.recordHits}`,
        "FIDE reg/qry/hit": `${c.filesRegistered}/${c.filesQueried}/${c.fileHits}`,
        refusals: Number(c.refusals),
      };
    }),
    ["cp", "month", "sent", "received", "answered", "reply p50", "reply p90", "late", "CIS sub/qry/hit", "FIDE reg/qry/hit", "refusals"],
  );
}

function printDormancy(r: pb.UsageReport): void {
  printTable(
    r.activity.map((a) => ({
      cp: a.contactPoint,
      name: a.name,
      "last connection": when(a.lastConnectionMs),
      "last activity": when(a.lastActivityMs),
      dormant: a.dormant ? `yes, since ${when(a.dormantSinceMs)}` : "no",
      "suspension due": a.dormant ? when(a.suspensionDueMs) : "",
      notified: a.dormantNoticeAtMs ? when(a.dormantNoticeAtMs) : "",
    })),
    ["cp", "name", "last connection", "last activity", "dormant", "suspension due", "notified"],
  );
}

export function register(program: Command): void {
  const u = program
    .command("usage")
    .description("usage per contact point and month (messages, answers and reply times, CIS and FIDE queries and hits)")
    .option("--from <month>", "YYYY-MM")
    .option("--to <month>", "YYYY-MM")
    .option("--cp <code>")
    .option("--json")
    .action((o: { from?: string; to?: string; cp?: string; json?: boolean }) => answer(o, () => withClient((c) => c.report({ ...(o.from ? { fromMonth: o.from } : {}), ...(o.to ? { toMonth: o.to } : {}), ...(o.cp ? { contactPoint: o.cp } : {}) })), printUsage, (r) => pb.UsageReport.toObject(r, { defaults: true })));
  u.command("dormant")
    .description("check dormancy now: members with no connection for the dormancy period, and when suspension would follow")
    .option("--json")
    .action((o: { json?: boolean }) => answer(o, () => withClient((c) => c.checkDormancy()), printDormancy, (r) => pb.UsageReport.toObject(r, { defaults: true }).activity));
}
