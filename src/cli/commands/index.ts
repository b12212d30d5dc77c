// Every `liaison` subcommand, one module each.
import type { Command } from "commander";
import { register as keys } from "./keys.js";
import { register as messages } from "./messages.js";
import { register as natsConfig } from "./nats-config.js";
import { register as start } from "./start.js";
import { register as audit } from "./audit.js";
import { register as status } from "./status.js";
import { register as records } from "./records.js";
import { register as files } from "./files.js";
import { register as retention } from "./retention.js";
import { register as usage } from "./usage.js";
import { register as provision } from "./provision.js";
import { register as tokens } from "./tokens.js";
import { register as registry } from "./registry.js";
import { register as notices } from "./notices.js";
import { register as cases } from "./cases.js";
import { register as users } from "./users.js";
import { register as operations } from "./operations.js";
import { register as webhooks } from "./webhooks.js";

export const COMMANDS: ReadonlyArray<(program: Command) => void> = [start, keys, natsConfig, messages, status, audit, records, files, retention, usage, provision, tokens, users, registry, notices, cases, operations, webhooks];
