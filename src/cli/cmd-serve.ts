/** `memhp serve [SCENARIO|TRACE|MACHINE|--sysroot DIR|--live] [--port N] [--open]` */
import type { Command } from "commander";
import { InputError } from "../errors.js";

interface ServeOptions {
  sysroot?: string;
  live?: boolean;
  port: string;
  open?: boolean;
}

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("the address map in a browser: a local web page (127.0.0.1 only) that runs the model and steps through the input")
    .argument("[input]", "scenario (YAML/JSON), real-kernel trace (run and compared step by step), machine file, or example:NAME; FILE@N opens at step N")
    .option("--sysroot <dir>", "a dump of a real machine (directory or tarball), imported")
    .option("--live", "the running machine (/sys, /proc; /proc/iomem needs root), imported")
    .option("--port <n>", "TCP port on 127.0.0.1 (0: any free port)", "8080")
    .option("--open", "open the page in the default browser (xdg-open)")
    .addHelpText(
      "after",
      `
The first line printed is the page's URL. The server listens on 127.0.0.1 only
and answers only to the host names 127.0.0.1 and localhost; Ctrl-C stops it.
Without an input the page offers the built-in examples. The same page works
without a server: \`npm run web\`, then open web/index.html.

Examples:
  memhp serve example:pmem-shared-section
  memhp serve ../shared/conformance/traces/legacy-pmem-subsection.json --port 0
  memhp serve scenario.yaml@3 --open
  memhp serve --sysroot x86_64-16g.tar.bz2`,
    )
    .action(async (input: string | undefined, opts: ServeOptions) => {
      if (!/^\d+$/.test(opts.port) || Number(opts.port) > 65535) throw new InputError(`expected a port number 0-65535, got ${JSON.stringify(opts.port)}`, { field: "--port" });
      const given = [input !== undefined, opts.sysroot !== undefined, !!opts.live].filter(Boolean).length;
      if (given > 1) throw new InputError("give one input: a FILE, --sysroot DIR or --live");
      const { resolvePageInput } = await import("../web/serve-input.js");
      const { startServer } = await import("../web/server.js");
      const pageInput = resolvePageInput({ arg: input, sysroot: opts.sysroot, live: opts.live });
      const { server, url } = await startServer({ port: Number(opts.port), input: pageInput });
      process.stdout.write(`${url}\n`);
      if (pageInput) process.stdout.write(`serving ${pageInput.kind} ${pageInput.source}; Ctrl-C to stop\n`);
      else process.stdout.write("serving the built-in examples; Ctrl-C to stop\n");
      if (opts.open) {
        const { spawn } = await import("node:child_process");
        const child = spawn("xdg-open", [url], { stdio: "ignore", detached: true });
        child.on("error", () => process.stderr.write(`memhp serve: could not run xdg-open; open ${url} yourself\n`));
        child.unref();
      }
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          server.close(() => resolve());
          server.closeAllConnections();
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
    });
}
