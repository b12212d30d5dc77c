// Runs a hub service as a NATS micro service (@nats-io/services), so `$SRV.PING`, `$SRV.INFO` and
// `$SRV.STATS` (and `nats micro ls`) see every instance; replicas share the queue group. Errors go
// back as Nats-Service-Error headers carrying the registry's code.
import type { Msg, NatsConnection } from "@nats-io/nats-core";
import { errors as natsErrors } from "@nats-io/nats-core";
import { ServiceError, Svcm, type Service, type ServiceMsg } from "@nats-io/services";
import { LiaisonError, isErrorCode, toLiaisonError } from "../errors.js";
import type { Logger } from "../log/mod.js";
import { ServiceMetrics } from "../metrics/mod.js";
import { serveMetrics } from "./metrics-scrape.js";
import { LIAISON_VERSION } from "../version.js";

export interface EndpointDef {
  readonly name: string;
  readonly subject: string;
  readonly handler: (msg: ServiceMsg) => Promise<Uint8Array | undefined>;
  readonly metadata?: Record<string, string>;
}

export interface MicroServiceDef {
  readonly name: string;
  readonly description: string;
  readonly endpoints: readonly EndpointDef[];
  readonly metadata?: Record<string, string>;
  /** Extra data for $SRV.STATS (consumer lag, tree size, ...). */
  readonly stats?: () => Promise<unknown>;
  readonly log: Logger;
  /**
   * The service's Prometheus metrics (a fresh registry when omitted): every request is counted and
   * timed by endpoint and outcome, and the registry answers the console's scrape over NATS.
   */
  readonly metrics?: ServiceMetrics;
}

/** The queue group every replica of a service joins. */
export const queueGroup = (service: string) => `liaison-${service}`;

export async function startMicroService(nc: NatsConnection, def: MicroServiceDef): Promise<Service> {
  const metrics = def.metrics ?? new ServiceMetrics(def.name);
  const svc = await new Svcm(nc).add({
    name: def.name,
    version: LIAISON_VERSION,
    description: def.description,
    queue: queueGroup(def.name),
    ...(def.metadata ? { metadata: def.metadata } : {}),
    ...(def.stats ? { statsHandler: async () => (await def.stats?.()) ?? null } : {}),
  });
  for (const ep of def.endpoints) {
    svc.addEndpoint(ep.name, {
      subject: ep.subject,
      ...(ep.metadata ? { metadata: ep.metadata } : {}),
      handler: (err, msg) => {
        if (err) {
          def.log.error({ err, endpoint: ep.name }, "endpoint subscription failed");
          return;
        }
        const started = performance.now();
        ep.handler(msg).then(
          (out) => {
            msg.respond(out ?? new Uint8Array());
            metrics.observe(ep.name, performance.now() - started, undefined);
          },
          (e: unknown) => {
            const le = toLiaisonError(e);
            if (le.code === "LIAISON_INTERNAL") def.log.error({ err: e, endpoint: ep.name }, "request failed");
            else def.log.info({ endpoint: ep.name, code: le.code }, "request refused");
            msg.respondError(le.natsCode, `${le.code}: ${le.detail}`);
            metrics.observe(ep.name, performance.now() - started, le.code);
          },
        );
      },
    });
  }
  const scrape = serveMetrics(nc, metrics);
  void svc.stopped.finally(() => scrape.unsubscribe());
  return svc;
}

/** Turns a micro service error reply back into the LiaisonError it was. */
export function serviceErrorOf(msg: Msg): LiaisonError | undefined {
  const se = ServiceError.toServiceError(msg);
  if (!se) return undefined;
  const m = /^(LIAISON_[A-Z_]+): ?(.*)$/s.exec(se.message);
  const code = m?.[1];
  if (code && isErrorCode(code)) return new LiaisonError(code, m?.[2] || undefined);
  return new LiaisonError("LIAISON_INTERNAL", se.message);
}

/** A request to a hub service: the reply's bytes, or the service's error as a LiaisonError. */
export async function requestService(
  nc: NatsConnection,
  subject: string,
  data: Uint8Array,
  timeoutMs = 5_000,
): Promise<Uint8Array> {
  let reply: Msg;
  try {
    reply = await nc.request(subject, data, { timeout: timeoutMs });
  } catch (err) {
    if (err instanceof natsErrors.NoRespondersError) {
      throw new LiaisonError("LIAISON_UNAVAILABLE", `no service answers ${subject}`, { cause: err });
    }
    if (err instanceof natsErrors.TimeoutError) {
      throw new LiaisonError("LIAISON_TIMEOUT", `no answer on ${subject} within ${timeoutMs} ms`, { cause: err });
    }
    if (err instanceof natsErrors.PermissionViolationError) {
      throw new LiaisonError("LIAISON_FORBIDDEN_SUBJECT", subject, { cause: err });
    }
    throw new LiaisonError("LIAISON_UNAVAILABLE", (err as Error).message, { cause: err });
  }
  const se = serviceErrorOf(reply);
  if (se) throw se;
  return reply.data;
}
