/**
 * The library as a browser bundle sees it: everything here is pure (no
 * node:* imports), so the model, the scenario loader, the views and the
 * analyses run in a web page exactly as on the command line.
 */
export { runScenario, bootSystem, applyStep } from "./scenario/runner.js";
export { parseScenario } from "./scenario/load.js";
export { toRunnable } from "./scenario/resolve-text.js";
export { EXAMPLES, findExample } from "./scenario/examples.js";
export { compareTraces } from "./scenario/conformance.js";
export { takeSnapshot } from "./abi/snapshot.js";
export { renderIomem } from "./kernel/resource.js";
export { sysfsRead, sysfsWrite } from "./kernel/sysfs.js";
export { compareScenario } from "./analysis/compare.js";
export { pmemAccounting } from "./analysis/accounting.js";
export { lsmem } from "./abi/lsmem.js";
export { PROFILES } from "./kernel/profile.js";
