/**
 * kernel/printk/printk.c, the part that takes boot memory: the log buffer.
 * The kernel starts on a static buffer of 2^CONFIG_LOG_BUF_SHIFT bytes
 * (128 KiB in Debian's builds); log_buf_len= asks for a larger one, and
 * many possible CPUs add room for each (log_buf_add_cpu()). setup_log_buf()
 * then takes the text buffer and the ring's descriptors and records from
 * memblock, one descriptor per 32 bytes of text (a64-probe53-uefi-2g-log-buf-len-4m:
 * 4 MiB of text, 3 MiB of descriptors and 11 MiB of records on 6.1, 14 MiB on 7.2,
 * "printk: log buffer data + meta data: 4194304 + 17825792 = 22020096 bytes"). Pure.
 */
import { memparse } from "./cmdline.js";

/** __LOG_BUF_LEN and __LOG_CPU_MAX_BUF_LEN of Debian's builds (CONFIG_LOG_BUF_SHIFT=17, CONFIG_LOG_CPU_MAX_BUF_SHIFT=12). */
export const LOG_BUF_LEN = 1 << 17;
const LOG_CPU_MAX_BUF_LEN = 1 << 12;
/** LOG_BUF_LEN_MAX: 2 GiB (larger requests are cut to it). */
const LOG_BUF_LEN_MAX = 2 ** 31;
/** PRB_AVGBITS: one descriptor per 32 bytes of text. */
const PRB_AVGBITS = 5;
/** sizeof(struct prb_desc). */
const PRB_DESC = 24;

const roundupPow2 = (n: number) => 2 ** Math.ceil(Math.log2(n));

/**
 * The text buffer's size setup_log_buf() allocates for `nrCpus` possible CPUs, or 0 when the static buffer stays:
 * the last log_buf_len= (memparse, at most 2 GiB, rounded up to a power of two) when larger than the static buffer,
 * else room for each CPU past the first when that is more than half the static buffer.
 */
export function logBufLen(cmdline: string, nrCpus: number): number {
  let asked = 0;
  for (const w of cmdline.split(" ")) {
    if (!w.startsWith("log_buf_len=")) continue;
    const m = memparse(w.slice("log_buf_len=".length));
    if (!m) continue;
    const size = Math.min(m.value, LOG_BUF_LEN_MAX);
    const len = size ? roundupPow2(size) : 0;
    if (len > LOG_BUF_LEN) asked = len;
  }
  if (asked) return asked;
  const cpuExtra = (nrCpus - 1) * LOG_CPU_MAX_BUF_LEN;
  return nrCpus > 1 && cpuExtra > LOG_BUF_LEN / 2 ? roundupPow2(cpuExtra + LOG_BUF_LEN) : 0;
}

/** setup_log_buf()'s three memblock allocations for a text buffer of `len` bytes, in order; `info` is sizeof(struct printk_info). */
export function logBufAllocations(len: number, info: number): number[] {
  const descs = Math.floor(len / 2 ** PRB_AVGBITS);
  return descs ? [len, descs * PRB_DESC, descs * info] : [];
}
