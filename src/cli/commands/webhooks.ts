// `liaison webhooks deliveries | replay <id>`: the access point's webhook delivery log (each
// event's attempts, statuses and errors) and an operator's replay of a delivery, against its API.
import { Option, type Command } from "commander";
import { DELIVERY_STATES, type DeliveriesOut, type DeliveryOut } from "../../api/mod.js";
import { callApi, resolveTarget, target, type Common } from "../client.js";
import { answer, fail, printJson, printTable } from "../output.js";

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
    await answer(o, () => callApi<DeliveryOut>(resolveTarget(o), "POST", `/v1/webhooks/deliveries/${encodeURIComponent(id)}/replay`), (d) => process.stdout.write(`delivery ${d.id} (${d.event.type} ${d.event.kind}) will be tried again\n`));
  });
}
