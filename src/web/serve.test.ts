/**
 * `memhp serve` as a user runs it: URL first on stdout, 127.0.0.1 only,
 * the page, its script and the input served, Ctrl-C exits cleanly, a port
 * in use is a clear error with exit 2.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { request } from "node:http";
import { REPO_ROOT } from "../testing/paths.js";

const BIN = join(REPO_ROOT, "bin", "memhp.js");

function start(args: string[]): Promise<{ child: ChildProcess; url: string; out: () => string; err: () => string }> {
  const child = spawn(process.execPath, [BIN, "serve", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr!.on("data", (d) => (err += d));
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (d) => {
      out += d;
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve({ child, url: out.slice(0, nl), out: () => out, err: () => err });
    });
    child.on("exit", (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on("exit", (code) => resolve(code)));
}

function get(url: string, host?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: host ? { host } : {} }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("memhp serve: URL first, loopback only, page and input served, SIGINT exits 0, a port in use exits 2", async () => {
  const s = await start(["example:pmem-shared-section@2", "--port", "0"]);
  try {
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const port = Number(new URL(s.url).port);
    assert.ok(port > 0);
    const page = await get(s.url);
    assert.equal(page.status, 200);
    assert.match(page.body, /<script src="memhp-web\.js">/);
    const script = await get(`${s.url}memhp-web.js`);
    assert.equal(script.status, 200);
    assert.ok(script.body.length > 50000);
    const input = JSON.parse((await get(`${s.url}input.json`)).body);
    assert.equal(input.kind, "scenario");
    assert.equal(input.step, 2);
    assert.match(input.text, /pmem-shared-section/);
    // Another host name (DNS rebinding) is refused.
    assert.equal((await get(s.url, `evil.example:${port}`)).status, 421);
    // Not reachable on another address of this machine: it listens on 127.0.0.1 only.
    await assert.rejects(get(`http://127.0.0.2:${port}/`));
    const busy = spawn(process.execPath, [BIN, "serve", "--port", String(port)], { stdio: ["ignore", "pipe", "pipe"] });
    let busyErr = "";
    let busyOut = "";
    busy.stderr!.on("data", (d) => (busyErr += d));
    busy.stdout!.on("data", (d) => (busyOut += d));
    assert.equal(await exited(busy), 2);
    assert.match(busyErr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use`));
    assert.doesNotMatch(busyErr, /at .*\.js:\d+/);
    assert.equal(busyOut, "");
    const done = exited(s.child);
    s.child.kill("SIGINT");
    assert.equal(await done, 0);
    assert.equal(s.err(), "");
  } finally {
    if (s.child.exitCode === null) s.child.kill("SIGKILL");
  }
});

test("memhp serve: bad input is reported before anything listens (exit 2)", async () => {
  const child = spawn(process.execPath, [BIN, "serve", "no-such-file.yaml", "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  assert.equal(await exited(child), 2);
  assert.equal(out, "");
  assert.match(err, /no-such-file\.yaml: cannot read: ENOENT/);
});

test("memhp serve --sysroot: a real machine's dump goes to the page as a machine file the page boots from", async () => {
  const { resolvePageInput } = await import("./serve-input.js");
  const { Session } = await import("./session.js");
  const { SHARED } = await import("../testing/paths.js");
  const tar = join(SHARED, "conformance", "util-linux", "x86_64-16g.tar.bz2");
  const inp = resolvePageInput({ sysroot: tar })!;
  assert.equal(inp.kind, "machine");
  const s = new Session(inp.text, inp.source);
  assert.equal(s.settings.boot, "import");
  assert.ok(s.states[0].view.blocks.n > 100);
});
