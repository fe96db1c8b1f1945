/**
 * The Kernel value: all state of the modelled memory hotplug subsystem, plus
 * the kernel log and the uevent queue. Operations (hotplug.ts, online.ts,
 * sysfs.ts, drivers/) mutate it; views (abi/) render it. No I/O, no clocks.
 */
import type { FirstBlockAlloc } from "./page-alloc-pins.js";
import { X86_64, type Geometry } from "./arch.js";
import { makeRoot, type Resource } from "./resource.js";
import { SparseMem } from "./sparse.js";
import { makeNode, nodeHasMemory, nodeHasNormalMemory, ZONE_DMA, ZONE_DMA32, type Node, type ZoneIdx } from "./zone.js";
import type { MemoryBlock, MemoryGroup } from "./memory-block.js";
import type { FirmwareMemmapEntry } from "./firmware-memmap.js";
import type { NumaFirmware } from "../machine/types.js";
import type { AcpiMemoryDevice } from "./drivers/acpi-memhotplug.js";
import { getProfile, type KernelConfig, type KernelProfile, type Rules } from "./profile.js";

/** MMOP_*: the online type of a request, and auto_online_blocks. */
export type OnlineType = "offline" | "online" | "online_kernel" | "online_movable";

export interface HotplugParams {
  autoOnlineBlocks: OnlineType;
  onlinePolicy: "contig-zones" | "auto-movable";
  autoMovableRatio: number;
  autoMovableNumaAware: boolean;
  memmapOnMemory: boolean;
  /** memmap_on_memory=force (6.6+): the memmap padded to whole pageblocks. */
  memmapOnMemoryForce: boolean;
  movableNode: boolean;
}

export interface LogLine {
  level: number;
  text: string;
}

export interface Uevent {
  action: string;
  devpath: string;
  subsystem: string;
  /** Other variables, in the kernel's order. */
  vars?: [string, string][];
  /** Variables whose value varies from run to run (a block or dax device's MINOR): the oracle keeps them under `noisy`. */
  noisy?: [string, string][];
  /**
   * Sent from asynchronous work (libnvdimm's nd_device_register() adds the
   * device from the async domain): the model sends it where the work is
   * scheduled, the earliest the kernel can; the kernel may send it later,
   * though never after an event of the device itself or of its children.
   */
  async?: true;
}

/** How the model decides where the kernel puts unmovable allocations (see page-alloc.ts). */
export interface AllocationModel {
  /** A block onlined into an empty kernel zone of a node with CPUs receives slab pages at once. */
  pinFirstKernelBlock: boolean;
}

export class Kernel {
  readonly geometry: Geometry;
  readonly blockSize: number;
  /** The kernel version modelled ("6.1"): the profile's name. */
  readonly profile: string;
  /** The whole profile: version, build configuration, architecture, rules (profile.ts). */
  readonly kernelProfile: KernelProfile;
  /** The behaviours of this kernel version (profile.ts): ask `k.rules.NAME`. */
  readonly rules: Rules;
  /** The build configuration (profiles/config.ts). */
  readonly config: KernelConfig;
  readonly iomem: Resource = makeRoot();
  readonly sparse: SparseMem;
  readonly nodes = new Map<number, Node>();
  readonly nodeOnline = new Set<number>();
  possibleNodes: number[] = [0];
  /** The firmware's NUMA description (machine/types.ts NumaFirmware). */
  numaFirmware: NumaFirmware = { kind: "acpi", meminfo: [], srat: [], hotplug: [], windows: [], maxAddr: 0 };
  /** Messages printed with pr_info_once() and friends that were printed already. */
  readonly printedOnce = new Set<string>();
  cpusByNode: Record<number, number[]> = { 0: [0] };
  distances: Record<string, number> = {};
  readonly blocks = new Map<number, MemoryBlock>();
  readonly groups = new Map<number, MemoryGroup>();
  readonly firmwareMemmap: FirmwareMemmapEntry[] = [];
  firmwareMemmapNext = 0;
  params: HotplugParams;
  policyZone: number = ZONE_DMA;
  /** pfn ranges holding pages the isolation code cannot move (PG_reserved boot allocations, slab); `owner`: freed with the section starting there (a vmemmap). */
  unmovable: { start: number; end: number; why: string; owner?: number }[] = [];
  allocation: AllocationModel = { pinFirstKernelBlock: true };
  /**
   * Activated CMA areas (pfn ranges, end exclusive): their pages are the buddy allocator's, movable, though memblock
   * reserved them and `unmovable` still lists them (the boot's accounting counts them out of the managed pages).
   */
  readonly cmaAreas: { start: number; end: number }[] = [];
  /** Pages marked PG_hwpoison (memory-failure.ts): offline_pages() skips them. */
  readonly hwpoisoned = new Set<number>();
  /**
   * Those of `hwpoisoned` left free in the buddy (5.10's memory_failure(): "Delayed", rule memoryFailureTakesFreePage):
   * alloc_contig_range() still takes them. The others were taken off the buddy: alloc_contig_range() cannot have them.
   */
  readonly hwpoisonedFree = new Set<number>();
  /** The page allocator's view of the first block of each newly populated kernel zone (page-alloc-pins.ts). */
  firstBlockAllocs: FirstBlockAlloc[] = [];
  /** How many of `uevents` user space had seen when it last ran (page-alloc-pins.ts). */
  userSpaceSeen = 0;
  /** The drivers' boot-time probes are running, and user space (the init that loads them) with them (page-alloc-pins.ts). */
  bootProbing = false;
  /** Outcomes chosen for races the kernel runs into at run time (key "race:region"; default 0). */
  raceChoices: Record<string, number> = {};
  /** Races run into after the boot, with the outcome taken (the trace's boot.noisy.races lists them after the boot's). */
  readonly runtimeRaces: { race: string; region: string; outcomes: number[]; chosen: number }[] = [];
  /** PNP0C80 devices by slot. */
  readonly acpiMemDevices = new Map<number, AcpiMemoryDevice>();
  /** sysfs path of the ACPI container of the memory devices (QEMU pc: PNP0A06:04 under the system bus). */
  acpiMemoryParent = "/devices/LNXSYSTM:00/LNXSYBUS:00/PNP0A06:04";
  log: LogLine[] = [];
  uevents: Uevent[] = [];
  /**
   * Groups of uevent runs (index ranges into `uevents`, end exclusive) that
   * the kernel may send in any order of the runs: work it does in an order
   * an earlier race decided (see nvdimm-region.ts regionRemove).
   */
  permutableUevents: [number, number][][] = [];
  /** max_pfn: end of boot memory, raised by hot-add (never lowered). */
  maxPfn = 0;
  bootMemEnd = 0;
  physmemEnd: number;
  /** Highest block id ever scanned at boot, for memory_dev_init. */
  /** The system has finished booting (mem= no longer limits hot-add). */
  running = false;
  maxMemSize = Number.MAX_SAFE_INTEGER;
  /** MemTotal anchors: the boot value in kB and the managed pages it corresponds to (only differences are meaningful). */
  memTotalBase: { total: { kb: number; managed: number }; perNode: Record<number, { kb: number; managed: number }> } = {
    total: { kb: 0, managed: 0 },
    perNode: {},
  };
  /** Boot zone spans per node (pfns, end exclusive): the zone of a boot page, holes included. */
  bootZoneSpans: { nid: number; idx: ZoneIdx; start: number; end: number }[] = [];
  /**
   * An imported dump's valid_zones texts that this kernel computes differently
   * (a dump from an older or other kernel), by block id: shown until the first
   * sysfs write or scenario step changes anything, then recomputed.
   */
  dumpedValidZones: Map<number, string> | null = null;
  /** ZONE_DEVICE pgmaps (pfn ranges, end exclusive), kept sorted by start (memremap.ts). */
  pgmaps: { start: number; end: number; owner: string }[] = [];

  constructor(opts: { blockSize: number; params: HotplugParams; geometry?: Geometry; profile?: string | KernelProfile; physmemEnd?: number }) {
    this.geometry = opts.geometry ?? X86_64;
    this.blockSize = opts.blockSize;
    this.params = opts.params;
    this.kernelProfile = typeof opts.profile === "object" ? opts.profile : getProfile(opts.profile);
    this.rules = this.kernelProfile.rules;
    this.config = this.kernelProfile.config;
    this.profile = this.kernelProfile.name;
    this.sparse = new SparseMem(this.geometry);
    this.physmemEnd = opts.physmemEnd ?? 2 ** this.geometry.maxPhysmemBits - 1;
  }

  /**
   * Memory block design: "fixed" is Linux (every block blockSize bytes);
   * "variable" is a what-if (one block per hot-added unit and per boot RAM
   * range, named by its first section; block_size_bytes shows the section size).
   */
  blockDesign: "fixed" | "variable" = "fixed";
  /** What-if: refuse device memory that would share a memory block with another owner. */
  singleOwner = false;
  /** variable design: section number -> id of the block that covers it. */
  readonly sectionBlock = new Map<number, number>();

  /** Pages of a fixed-size block (the memory block size). */
  get pagesPerBlock(): number {
    return this.blockSize / this.geometry.pageSize;
  }

  /** Pages per unit of block ids: one block (fixed) or one section (variable: ids are first-section numbers). */
  get idUnitPages(): number {
    return this.blockDesign === "variable" ? this.sparse.pps : this.pagesPerBlock;
  }

  /** The smallest hot-add granule: the block size, or a section with variable blocks. */
  get hotplugGranule(): number {
    return this.blockDesign === "variable" ? this.geometry.sectionSize : this.blockSize;
  }

  blockStartPfn(id: number): number {
    return id * this.idUnitPages;
  }

  /** Id of the block that holds `pfn` (or would, at its id unit when there is none). */
  blockIdOfPfn(pfn: number): number {
    if (this.blockDesign === "variable") {
      const id = this.sectionBlock.get(this.sparse.sectionNr(pfn));
      if (id !== undefined) return id;
    }
    return Math.floor(pfn / this.idUnitPages);
  }

  /** The block holding `pfn`, if any. */
  blockAt(pfn: number): MemoryBlock | undefined {
    const b = this.blocks.get(this.blockIdOfPfn(pfn));
    return b && pfn >= b.startPfn && pfn < b.startPfn + b.nrPages ? b : undefined;
  }

  /** Existing blocks overlapping [startPfn, startPfn + nr), ascending. */
  blocksIn(startPfn: number, nr: number): MemoryBlock[] {
    const out: MemoryBlock[] = [];
    const end = startPfn + nr;
    let pfn = startPfn;
    while (pfn < end) {
      const b = this.blockAt(pfn);
      if (b) {
        out.push(b);
        pfn = b.startPfn + b.nrPages;
      } else {
        pfn = (Math.floor(pfn / this.idUnitPages) + 1) * this.idUnitPages;
      }
    }
    return out;
  }

  node(nid: number): Node {
    let n = this.nodes.get(nid);
    if (!n) {
      n = makeNode(nid);
      this.nodes.set(nid, n);
    }
    return n;
  }

  onlineNodes(): number[] {
    return [...this.nodeOnline].sort((a, b) => a - b);
  }

  nodeDistance(a: number, b: number): number {
    if (a === b) return 10;
    return this.distances[`${a},${b}`] ?? 20;
  }

  nodesWithMemory(): number[] {
    return [...this.nodes.values()].filter((n) => this.nodeOnline.has(n.nid) && nodeHasMemory(n)).map((n) => n.nid).sort((a, b) => a - b);
  }

  nodesWithNormalMemory(): number[] {
    return [...this.nodes.values()].filter((n) => this.nodeOnline.has(n.nid) && nodeHasNormalMemory(n)).map((n) => n.nid).sort((a, b) => a - b);
  }

  nodesWithCpu(): number[] {
    return Object.keys(this.cpusByNode)
      .map(Number)
      .filter((n) => this.cpusByNode[n].length > 0 && this.nodeOnline.has(n))
      .sort((a, b) => a - b);
  }

  printk(level: number, text: string): void {
    this.log.push({ level, text });
  }

  uevent(action: string, devpath: string, subsystem: string, vars?: [string, string][], noisy?: [string, string][], async?: boolean): void {
    const u: Uevent = vars ? { action, devpath, subsystem, vars } : { action, devpath, subsystem };
    if (noisy) u.noisy = noisy;
    if (async) u.async = true;
    this.uevents.push(u);
  }

  /** Total managed pages (MemTotal) over all nodes, in pages. */
  totalManagedPages(): number {
    let t = 0;
    for (const n of this.nodes.values()) for (const z of n.zones) t += z.managed;
    return t;
  }

  sortedBlockIds(): number[] {
    return [...this.blocks.keys()].sort((a, b) => a - b);
  }

  /** Is `pfn` covered by a registered dev_pagemap? */
  pgmapCovers(pfn: number): boolean {
    for (const p of this.pgmaps) if (pfn >= p.start && pfn < p.end) return true;
    return false;
  }

  /** The first hardware-poisoned pfn in [startPfn, endPfn), or null. */
  hwpoisonIn(startPfn: number, endPfn: number): number | null {
    for (const pfn of this.hwpoisoned) if (pfn >= startPfn && pfn < endPfn) return pfn;
    return null;
  }

  /** The first hardware-poisoned pfn in [startPfn, endPfn) that is out of the buddy (alloc_contig_range() fails on it), or null. */
  hwpoisonTakenIn(startPfn: number, endPfn: number): number | null {
    for (const pfn of this.hwpoisoned) if (pfn >= startPfn && pfn < endPfn && !this.hwpoisonedFree.has(pfn)) return pfn;
    return null;
  }

  isUnmovable(startPfn: number, endPfn: number): { start: number; end: number; why: string } | null {
    for (const u of this.unmovable) if (u.start < endPfn && startPfn < u.end) return u;
    return null;
  }
}
