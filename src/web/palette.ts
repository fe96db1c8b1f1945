/**
 * Colours of the map, from palettes that stay distinguishable for
 * colour-blind readers (Paul Tol's "bright" and Okabe-Ito's), each with its
 * legend text. One table: the canvas, the SVG export and the legend use it.
 */
export interface Swatch {
  key: string;
  color: string;
  label: string;
  /** Row of the map it belongs to (legend grouping). */
  row: "iomem" | "block" | "section" | "subsection" | "mark";
}

export const SWATCHES: Swatch[] = [
  { key: "ram", color: "#228833", label: "System RAM", row: "iomem" },
  { key: "ram-driver", color: "#66CCEE", label: "System RAM (kmem, virtio_mem)", row: "iomem" },
  { key: "pmem", color: "#AA3377", label: "Persistent Memory", row: "iomem" },
  { key: "device", color: "#EE6677", label: "namespace / pfn / dax device", row: "iomem" },
  { key: "kernel", color: "#4477AA", label: "Kernel code/data", row: "iomem" },
  { key: "cxl", color: "#FFF2CC", label: "CXL window", row: "iomem" },
  { key: "acpi", color: "#CCBB44", label: "ACPI / firmware", row: "iomem" },
  { key: "reserved", color: "#BBBBBB", label: "Reserved", row: "iomem" },
  { key: "pci", color: "#EEEEEE", label: "PCI window", row: "iomem" },
  { key: "other", color: "#DDDDDD", label: "other resource", row: "iomem" },
  { key: "online DMA", color: "#009E73", label: "online, DMA", row: "block" },
  { key: "online DMA32", color: "#009E73", label: "online, DMA32", row: "block" },
  { key: "online Normal", color: "#0072B2", label: "online, Normal", row: "block" },
  { key: "online Movable", color: "#56B4E9", label: "online, Movable", row: "block" },
  { key: "online none", color: "#7F7F7F", label: "online, several zones", row: "block" },
  { key: "offline", color: "#E8E8E8", label: "offline", row: "block" },
  { key: "going-offline", color: "#E69F00", label: "going offline", row: "block" },
  { key: "sec-early", color: "#4477AA", label: "early (boot) section", row: "section" },
  { key: "sec-hot", color: "#E69F00", label: "hot-added section", row: "section" },
  { key: "sec-offline", color: "#D0D0D0", label: "present, offline section", row: "section" },
  { key: "sub-ram", color: "#228833", label: "sub-section: memory", row: "subsection" },
  { key: "sub-device", color: "#EE6677", label: "sub-section: ZONE_DEVICE", row: "subsection" },
  { key: "sub-empty", color: "#FFFFFF", label: "sub-section: not present", row: "subsection" },
  { key: "changed", color: "#000000", label: "added (solid) or changed (dashed) by this step", row: "mark" },
  { key: "removed", color: "#888888", label: "removed by this step (grey, dashed)", row: "mark" },
  { key: "mismatch", color: "#CC3311", label: "model and real kernel disagree", row: "mark" },
];

const BY_KEY = new Map(SWATCHES.map((s) => [s.key, s.color]));

export function color(key: string): string {
  return BY_KEY.get(key) ?? "#DDDDDD";
}

/** The swatch key of a /proc/iomem resource name. */
export function iomemKey(name: string): string {
  if (name === "System RAM") return "ram";
  if (name.startsWith("System RAM")) return "ram-driver";
  if (name.startsWith("Persistent Memory")) return "pmem";
  if (/^(namespace|pfn|dax|btt)\d+\.\d+$/.test(name) || /^(virtio|dax)\d+/.test(name)) return "device";
  if (name.startsWith("Kernel ")) return "kernel";
  if (name.startsWith("CXL Window")) return "cxl";
  if (name.startsWith("ACPI") || name.includes("BIOS") || name.includes("ROM")) return "acpi";
  if (/^reserved$/i.test(name)) return "reserved";
  if (name.startsWith("PCI")) return "pci";
  return "other";
}

/** Black or white text on a fill colour. */
export function textOn(fill: string): string {
  const n = parseInt(fill.slice(1), 16);
  const r = Math.floor(n / 65536);
  const g = Math.floor(n / 256) % 256;
  const b = n % 256;
  return 0.299 * r + 0.587 * g + 0.114 * b > 140 ? "#000000" : "#FFFFFF";
}
