/**
 * `memhp serve`'s HTTP side: the page (web/index.html), its script (the
 * model, bundled for the browser) and the input the command was given, on
 * 127.0.0.1 only. The page runs the model itself, exactly as the static
 * build does; the server only hands it the input.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { InputError } from "../errors.js";

/** What the page loads at start (GET /input.json). */
export interface PageInput {
  /** "scenario" (YAML/JSON text), "trace" (a trace: its scenario is run and compared with it), "machine" (memhp import output). */
  kind: "scenario" | "trace" | "machine";
  /** Where it came from, for the page's title. */
  source: string;
  text: string;
  /** `FILE@N`: open at step N. */
  step?: number;
}

/** The package root (the directory holding web/index.html), from wherever this module was bundled to. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "web", "index.html")) && existsSync(join(dir, "package.json"))) return dir;
    dir = dirname(dir);
  }
  throw new InputError("cannot find the web page (web/index.html) next to memhp");
}

function newestTs(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestTs(p));
    else if (e.name.endsWith(".ts")) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** The page's script: web/memhp-web.js (`npm run web`) when it is newer than the sources, else bundled now by esbuild. */
export function pageScript(root = findRoot()): string {
  const built = join(root, "web", "memhp-web.js");
  const src = join(root, "src");
  const fresh = existsSync(built) && (!existsSync(src) || statSync(built).mtimeMs >= newestTs(src));
  if (fresh) return readFileSync(built, "utf8");
  const esbuild = join(root, "node_modules", ".bin", "esbuild");
  if (!existsSync(src) || !existsSync(esbuild)) {
    if (existsSync(built)) return readFileSync(built, "utf8");
    throw new InputError("the page's script is not built: run `npm run web`");
  }
  return execFileSync(esbuild, [join(src, "web", "app.ts"), "--bundle", "--platform=browser", "--format=iife", "--minify", "--log-level=error"], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store", "x-content-type-options": "nosniff" });
  res.end(body);
}

/** Serve the page on 127.0.0.1:port (0: any free port); resolves with the server and its URL. */
export async function startServer(opts: { port: number; input?: PageInput }): Promise<{ server: Server; url: string }> {
  const root = findRoot();
  const html = readFileSync(join(root, "web", "index.html"), "utf8");
  const script = pageScript(root);
  let hostOk = (_h: string | undefined) => true;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    // Refuse other host names (DNS rebinding): only the loopback address and localhost.
    if (!hostOk(req.headers.host)) return send(res, 421, "text/plain", "wrong host\n");
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "text/plain", "method not allowed\n");
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/" || path === "/index.html") return send(res, 200, "text/html; charset=utf-8", html);
    if (path === "/memhp-web.js") return send(res, 200, "text/javascript; charset=utf-8", script);
    if (path === "/input.json") {
      if (!opts.input) return send(res, 404, "application/json", "null\n");
      return send(res, 200, "application/json", JSON.stringify(opts.input));
    }
    return send(res, 404, "text/plain", "not found\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EADDRINUSE") reject(new InputError(`port ${opts.port} on 127.0.0.1 is in use (choose another with --port N, or --port 0 for a free one)`, { field: "--port" }));
      else if (e.code === "EACCES") reject(new InputError(`no permission to listen on port ${opts.port} (ports below 1024 need root)`, { field: "--port" }));
      else reject(e);
    });
    server.listen(opts.port, "127.0.0.1", () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : opts.port;
  const allowed = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  hostOk = (h) => h !== undefined && allowed.has(h.toLowerCase());
  return { server, url: `http://127.0.0.1:${port}/` };
}
