/**
 * The process plumbing of a util-linux program run as a model: stdout and
 * stderr collected as strings, err(3)/warnx(3)/errtryhelp() from
 * include/c.h and lib/err, exit() as a thrown ProgramExit, glibc's
 * strerror() texts, and the version banner util-linux prints for -V.
 * Pure: no node:* imports.
 */
import { STRERROR } from "../../kernel/errno.js";

export interface ToolResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Thrown to end a modelled program run (exit(3)). */
export class ProgramExit {
  constructor(readonly code: number) {}
}

/** stdout/stderr of one modelled run plus err(3)-family helpers. */
export class Proc {
  out = "";
  errOut = "";
  constructor(readonly prog: string) {}
  print(s: string): void {
    this.out += s;
  }
  /** warnx(3) */
  warnx(msg: string): void {
    this.errOut += `${this.prog}: ${msg}\n`;
  }
  /** warn(3): message plus strerror(errno). */
  warn(msg: string, errno: string): void {
    this.errOut += `${this.prog}: ${msg}: ${strerror(errno)}\n`;
  }
  errx(code: number, msg: string): never {
    this.warnx(msg);
    throw new ProgramExit(code);
  }
  err(code: number, msg: string, errno: string): never {
    this.warn(msg, errno);
    throw new ProgramExit(code);
  }
  /** errtryhelp(3) */
  tryHelp(code = 1): never {
    this.errOut += `Try '${this.prog} --help' for more information.\n`;
    throw new ProgramExit(code);
  }
  exit(code: number): never {
    throw new ProgramExit(code);
  }
  /** Run `main`, turning ProgramExit into an exit code. */
  run(main: () => number): ToolResult {
    let exitCode: number;
    try {
      exitCode = main();
    } catch (e) {
      if (e instanceof ProgramExit) exitCode = e.code;
      else throw e;
    }
    return { stdout: this.out, stderr: this.errOut, exitCode };
  }
}

const EXTRA_STRERROR: Record<string, string> = {
  SUCCESS: "Success",
  ESRCH: "No such process",
  EBADF: "Bad file descriptor",
  EAGAIN: "Resource temporarily unavailable",
  EWOULDBLOCK: "Resource temporarily unavailable",
  EFAULT: "Bad address",
  ENOTDIR: "Not a directory",
  EROFS: "Read-only file system",
  EFBIG: "File too large",
  ENOSYS: "Function not implemented",
  ETIMEDOUT: "Connection timed out",
  ECANCELED: "Operation canceled",
  EOVERFLOW: "Value too large for defined data type",
  EDOM: "Numerical argument out of domain",
  ELOOP: "Too many levels of symbolic links",
  ENAMETOOLONG: "File name too long",
  EMFILE: "Too many open files",
  ENFILE: "Too many open files in system",
  ETXTBSY: "Text file busy",
  ENOTEMPTY: "Directory not empty",
  ENOEXEC: "Exec format error",
  ECHILD: "No child processes",
  EXDEV: "Invalid cross-device link",
  ENOTTY: "Inappropriate ioctl for device",
  ESPIPE: "Illegal seek",
  EMLINK: "Too many links",
  EPIPE: "Broken pipe",
  EDEADLK: "Resource deadlock avoided",
  ENOLCK: "No locks available",
  ENODATA: "No data available",
  ENOMSG: "No message of desired type",
  EIDRM: "Identifier removed",
  ENOSR: "Out of streams resources",
  ENOLINK: "Link has been severed",
  EPROTO: "Protocol error",
  EBADMSG: "Bad message",
  EILSEQ: "Invalid or incomplete multibyte or wide character",
  EUSERS: "Too many users",
  ENOBUFS: "No buffer space available",
  ENOTCONN: "Transport endpoint is not connected",
  EALREADY: "Operation already in progress",
  EINPROGRESS: "Operation now in progress",
  ESTALE: "Stale file handle",
  EDQUOT: "Disk quota exceeded",
  ENOMEDIUM: "No medium found",
  EKEYREJECTED: "Key was rejected by service",
  EOWNERDEAD: "Owner died",
  ENOTRECOVERABLE: "State not recoverable",
  ERFKILL: "Operation not possible due to RF-kill",
};

/** glibc strerror() text of an errno name ("EINVAL" → "Invalid argument"). */
export function strerror(errno: string): string {
  return (STRERROR as Record<string, string>)[errno] ?? EXTRA_STRERROR[errno] ?? `Unknown error ${errno}`;
}

/** Version string of the reference build (git describe of 39465c78 via tools/git-version-gen). */
export const UTIL_LINUX_PACKAGE_STRING = "util-linux 2.43.devel-1218-39465";

/** `%-Ns%s\n` help lines for -h/-V (USAGE_HELP_OPTIONS). */
export function usageHelpOptions(margin: number): string {
  return `${" -h, --help".padEnd(margin)}display this help\n${" -V, --version".padEnd(margin)}display version\n`;
}
