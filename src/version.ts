// Liaison's version, from package.json: reported by every micro service in $SRV.INFO.
import { createRequire } from "node:module";

const pkg = createRequire(import.meta.url)("../package.json") as { version: string };

export const LIAISON_VERSION: string = pkg.version;
