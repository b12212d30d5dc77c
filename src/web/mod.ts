// The web kit both consoles serve beside their own pages: the folder of kit.js and kit.css (and
// nothing else, since it is served as it is).
import { join } from "node:path";

export const WEB_KIT_DIR = join(import.meta.dirname, "public");
