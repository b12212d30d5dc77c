// Builds a fastify app the Liaison way: zod schemas validate and serialise every route and
// generate the OpenAPI document at /docs; errors are problem+json. Built without listening, so
// tests use app.inject().
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import type { Logger } from "../log/mod.js";
import { LIAISON_VERSION } from "../version.js";
import { installProblemHandlers } from "./problem.js";

export interface HttpAppOptions {
  readonly title: string;
  readonly description: string;
  readonly log: Logger;
  readonly bodyLimit?: number;
}

export type LiaisonApp = FastifyInstance;

export async function createHttpApp(o: HttpAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: o.log as FastifyBaseLogger,
    bodyLimit: o.bodyLimit ?? 1024 * 1024,
    // Requests are logged where it matters: in the audit log. Per-request info lines would be noise.
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
  }).withTypeProvider<ZodTypeProvider>() as unknown as FastifyInstance;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installProblemHandlers(app);
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: o.title, description: o.description, version: LIAISON_VERSION },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: "/docs" });
  return app;
}
