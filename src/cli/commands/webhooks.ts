// `liaison webhooks deliveries | replay <id>`: the access point's webhook delivery log (each
// event's attempts, statuses and errors) and an operator's replay of a delivery, against its API.
import { Option, type Command } from "commander";
import { DELIVERY_STATES, type DeliveriesOut, type DeliveryOut } from "../../api/mod.js";
import { callApi, resolveTarget, type TargetOptions } from "../client.js";
import { fail, printJson, printTable } from "../output.js";

type Common = TargetOptions & { json?: boolean };

function target(cmd: Command): Command {
  return cmd
    .option("--ap <cp>", "an access point of the local stack ($LIAISON_HOME/stack.json)")
    .option("--url <url>", "an access point's URL (or LIAISON_URL)")
    .option("--token <token>", "a bearer token (or LIAISON_TOKEN)")
    .option("--json", "print JSON instead of a table");
}

function row(d: DeliveryOut) {
  const last = d.lastAttempts.at(-1);
  return {
    id: d.id,
    state: d.state,
    event: d.event.type,
    kind: d.event.kind,
    at: d.event.at,
    attempts: d.attempts,
    last: last ? (last.status !== undefined ? String(last.status) : (last.error ?? "")) : "",
    next: d.nextAttemptAt ?? "",
  };
}

const COLUMNS = ["id", "state", "event", "kind", "at", "attempts", "last", "next"];

export function register(program: Command): void {
  const webhooks = program.command("webhooks").description("the webhook to the back office: its delivery log, and replays");
  target(webhooks.command("deliveries").description("the webhook's deliveries, newest first: state, attempts, last status or error"))
    .addOption(new Option("--state <state>").choices(DELIVERY_STATES))
    .option("--limit <n>", "at most this many", "100")
    .action(async (o: Common & { state?: string; limit: string }) => {
      try {
        const q = new URLSearchParams({ limit: o.limit, ...(o.state ? { state: o.state } : {}) });
        const res = await callApi<DeliveriesOut>(resolveTarget(o), "GET", `/v1/webhooks/deliveries?${q}`);
        if (o.json) printJson(res);
        else printTable(res.items.map(row), COLUMNS);
      } catch (err) {
        fail(err);
      }
    });
  target(webhooks.command("replay <id>").description("try a delivery again from its first attempt (after the back office was fixed)")).action(async (id: string, o: Common) => {
    try {
      const d = await callApi<DeliveryOut>(resolveTarget(o), "POST", `/v1/webhooks/deliveries/${encodeURIComponent(id)}/replay`);
      if (o.json) printJson(d);
      else process.stdout.write(`delivery ${d.id} (${d.event.type} ${d.event.kind}) will be tried again\n`);
    } catch (err) {
      fail(err);
    }
  });
}
