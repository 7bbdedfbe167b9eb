/** cgroup v1 memory cgroups for executor processes: one per pool slot, its limit, its OOM-kill counter, cleanup. */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Where the cgroup v1 memory controller is mounted. */
const MEMORY_ROOT = "/sys/fs/cgroup/memory";
/** Pools made by this process so far (two pools never share a cgroup). */
let made = 0;

/** One slot's memory cgroup: every process of its executor (and what user code spawns) is in it. */
export class MemoryCgroup {
  #limitMb = 0;

  constructor(
    /** The cgroup's directory. */
    readonly dir: string,
  ) {}

  /** The file an executor writes its own pid to, so it and all it spawns are charged here. */
  get procsFile(): string {
    return join(this.dir, "cgroup.procs");
  }

  /** The limit last set, in MB (0 before any). */
  get limitMb(): number {
    return this.#limitMb;
  }

  /** Set memory.limit_in_bytes; false when the kernel refuses (e.g. lowering it below what is in use now). */
  setLimit(mb: number): boolean {
    try {
      writeFileSync(join(this.dir, "memory.limit_in_bytes"), String(Math.round(mb * 1024 * 1024)));
      this.#limitMb = mb;
      return true;
    } catch {
      return false;
    }
  }

  /** How many processes the kernel's OOM killer killed in this cgroup so far. */
  oomKills(): number {
    try {
      const m = /^oom_kill (\d+)$/m.exec(readFileSync(join(this.dir, "memory.oom_control"), "utf8"));
      return m ? Number(m[1]) : 0;
    } catch {
      return 0;
    }
  }

  /** Remove the cgroup; false while processes are still in it. */
  remove(): boolean {
    try {
      rmdirSync(this.dir);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === "ENOENT";
    }
  }
}

/** The memory cgroups of one pool: `<this process's memory cgroup>/faas-<pid>-<n>-<name>/slot-N`. */
export class MemoryCgroups {
  readonly #slots = new Map<number, MemoryCgroup>();

  private constructor(
    /** The pool's cgroup directory. */
    readonly dir: string,
  ) {}

  /**
   * The pool's cgroup directory, created (after removing empty ones left by dead processes), or the reason none can
   * be made (no cgroup v1 memory controller, not writable).
   */
  static create(name: string): MemoryCgroups | string {
    const own = ownMemoryCgroup();
    if (own === null) return `no cgroup v1 memory controller at ${MEMORY_ROOT}`;
    const parent = join(MEMORY_ROOT, own);
    removeStale(parent);
    const dir = join(parent, `faas-${process.pid}-${++made}-${name.replace(/[^\w.-]/g, "_").slice(0, 60)}`);
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "memory.use_hierarchy"), "1");
    } catch (err) {
      if (!existsSync(join(dir, "cgroup.procs"))) return `cannot create a memory cgroup in ${parent}: ${(err as Error).message}`;
    }
    return new MemoryCgroups(dir);
  }

  /** The cgroup of slot `index`, created on first use. Throws when it cannot be created. */
  slot(index: number): MemoryCgroup {
    let cgroup = this.#slots.get(index);
    if (cgroup === undefined) {
      const dir = join(this.dir, `slot-${index}`);
      mkdirSync(dir, { recursive: true });
      cgroup = new MemoryCgroup(dir);
      this.#slots.set(index, cgroup);
    }
    return cgroup;
  }

  /** Remove every slot's cgroup and the pool's, waiting up to `waitMs` for their processes to be gone. */
  async remove(waitMs = 2000): Promise<boolean> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      let left = 0;
      for (const [index, cgroup] of this.#slots) {
        if (cgroup.remove()) this.#slots.delete(index);
        else left++;
      }
      if (left === 0 && new MemoryCgroup(this.dir).remove()) return true;
      if (Date.now() > deadline) return false;
      await Bun.sleep(20);
    }
  }
}

/** This process's memory cgroup path (v1), e.g. `/` or `/user/42`, or null without the v1 memory controller. */
function ownMemoryCgroup(): string | null {
  if (!existsSync(join(MEMORY_ROOT, "memory.limit_in_bytes"))) return null;
  try {
    for (const line of readFileSync("/proc/self/cgroup", "utf8").split("\n")) {
      const [, controllers, path] = line.split(":");
      if (controllers !== undefined && path !== undefined && controllers.split(",").includes("memory")) {
        return existsSync(join(MEMORY_ROOT, path, "cgroup.procs")) ? path : "/";
      }
    }
  } catch {
    // no /proc
  }
  return "/";
}

/** Remove `faas-<pid>-*` cgroups (and their slots) of processes that no longer run; busy ones stay. */
function removeStale(parent: string): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^faas-(\d+)-/.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    const dir = join(parent, name);
    try {
      for (const slot of readdirSync(dir)) if (slot.startsWith("slot-")) new MemoryCgroup(join(dir, slot)).remove();
    } catch {
      // gone meanwhile
    }
    new MemoryCgroup(dir).remove();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
