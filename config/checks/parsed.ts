/** Parts of the parsed config that several check modules take apart. */
import type { ParsedConfig } from "../../model/schema.ts";

export type TalosClusterConfig = Extract<ParsedConfig["cluster"], { provider: "talos" }>;
export type ParsedApp = ParsedConfig["apps"][string];
