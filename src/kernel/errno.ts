/** errno values as write(2) reports them to user space, with their strerror texts. */
export type Errno =
  | "EPERM" | "EISDIR" | "ENOENT" | "EINTR" | "EIO" | "ENXIO" | "E2BIG" | "ENOMEM" | "EACCES" | "EBUSY"
  | "EEXIST" | "ENODEV" | "EINVAL" | "ENOSPC" | "ERANGE" | "EOPNOTSUPP" | "ENOTSUP" | "EHWPOISON";

export const EPERM: Errno = "EPERM";
export const ENOENT: Errno = "ENOENT";
export const EINTR: Errno = "EINTR";
export const EIO: Errno = "EIO";
export const ENXIO: Errno = "ENXIO";
export const E2BIG: Errno = "E2BIG";
export const ENOMEM: Errno = "ENOMEM";
export const EACCES: Errno = "EACCES";
export const EBUSY: Errno = "EBUSY";
export const EEXIST: Errno = "EEXIST";
export const ENODEV: Errno = "ENODEV";
export const EINVAL: Errno = "EINVAL";
export const ENOSPC: Errno = "ENOSPC";
export const ERANGE: Errno = "ERANGE";
export const EOPNOTSUPP: Errno = "EOPNOTSUPP";
export const EHWPOISON: Errno = "EHWPOISON";

export const ERRNO_NUMBER: Record<Errno, number> = {
  EPERM: 1, EISDIR: 21, ENOENT: 2, EINTR: 4, EIO: 5, ENXIO: 6, E2BIG: 7, ENOMEM: 12, EACCES: 13, EBUSY: 16,
  EEXIST: 17, ENODEV: 19, EINVAL: 22, ENOSPC: 28, ERANGE: 34, EOPNOTSUPP: 95, ENOTSUP: 95, EHWPOISON: 133,
};

export const STRERROR: Record<Errno, string> = {
  EPERM: "Operation not permitted",
  EISDIR: "Is a directory",
  ENOENT: "No such file or directory",
  EINTR: "Interrupted system call",
  EIO: "Input/output error",
  ENXIO: "No such device or address",
  E2BIG: "Argument list too long",
  ENOMEM: "Cannot allocate memory",
  EACCES: "Permission denied",
  EBUSY: "Device or resource busy",
  EEXIST: "File exists",
  ENODEV: "No such device",
  EINVAL: "Invalid argument",
  ENOSPC: "No space left on device",
  ERANGE: "Numerical result out of range",
  EOPNOTSUPP: "Operation not supported",
  ENOTSUP: "Operation not supported",
  EHWPOISON: "Memory page has hardware error",
};

/** Failures the kernel can report are values. */
export type KernelResult = { ok: true } | { ok: false; errno: Errno };
export const OK: KernelResult = { ok: true };
export function fail(errno: Errno): KernelResult {
  return { ok: false, errno };
}
