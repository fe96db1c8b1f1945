import { z } from "zod";
import { ScenarioFileSchema } from "./dist/scenario/schema.js";
const js = z.toJSONSchema(ScenarioFileSchema, { io: "input", unrepresentable: "any" });
const s = JSON.stringify(js);
console.log(s.length, JSON.stringify(js.required), JSON.stringify(js.properties.machine.required), JSON.stringify(js.properties.steps).slice(0, 1500));
