/**
 * Process helpers for the benchmark: timed child runs, peak-RSS sampling from /proc, and a registry
 * of everything started so that it is all stopped again, on success and on failure alike.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

type Stopper = () => Promise<void> | void;
const stoppers: { name: string; stop: Stopper }[] = [];

/** Registers a clean-up step; `stopAll` runs them newest first. */
export function onStop(name: string, stop: Stopper): void {
  stoppers.push({ name, stop });
}

export async function stopAll(): Promise<void> {
  while (stoppers.length > 0) {
    const { name, stop } = stoppers.pop() as (typeof stoppers)[number];
    try {
      await stop();
    } catch (err) {
      console.error(`bench: stopping ${name} failed: ${(err as Error).message}`);
    }
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
export function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

export interface TimedRun {
  code: number | null;
  ms: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and measures its wall time (spawn to exit). */
export function timed(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<TimedRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 600_000);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, ms: performance.now() - started, stdout, stderr });
    });
  });
}

function statusKb(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const text = readFileSync(`/proc/${pid}/status`, "utf8");
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0; // gone, or a kernel thread
  }
}

/** `pid` and all its descendants (a tsx wrapper's node child, say), from /proc/<pid>/stat. */
export function processTree(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name may contain spaces and parentheses: fields restart after the last ")".
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parents.set(Number(entry), Number(rest[1]));
    } catch {}
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, parent] of parents) if (parent === tree[i]) tree.push(child);
  }
  return tree;
}

export interface RssSampler {
  /** Stops sampling; the largest resident set of any one process of the tree, in MB (10^6 bytes). */
  stop: () => { peakMb: number; hwmMb: number; pid: number };
}

/**
 * Samples VmRSS of every process under `rootPid` every `everyMs` and keeps the largest single
 * process (the relay itself, not a wrapper; the wrapper is not added on top). `hwmMb` is that
 * process's VmHWM at the end: the kernel's own peak, over the process's whole life.
 */
export function sampleRss(rootPid: number, everyMs = 100): RssSampler {
  let pids = processTree(rootPid);
  let peakKb = 0;
  let peakPid = rootPid;
  let ticks = 0;
  const tick = () => {
    // Children may come later (sshd forks per connection): look for them again once a second.
    if (++ticks % 10 === 0) pids = processTree(rootPid);
    for (const pid of pids) {
      const kb = statusKb(pid, "VmRSS");
      if (kb > peakKb) {
        peakKb = kb;
        peakPid = pid;
      }
    }
  };
  tick();
  const timer = setInterval(tick, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      tick();
      return { peakMb: (peakKb * 1024) / 1e6, hwmMb: (statusKb(peakPid, "VmHWM") * 1024) / 1e6, pid: peakPid };
    },
  };
}

export interface GrowthSampler {
  /** Stops sampling; the process (named `name`, under the root) whose resident set grew most. */
  stop: () => { idleMb: number; peakMb: number; pid: number } | null;
}

/**
 * Samples VmRSS of every process called `name` under `rootPid` (wrangler dev's workerd, say) every
 * `everyMs`, from their size now: what the work done meanwhile added to the one that grew most.
 */
export function sampleGrowth(rootPid: number, name: string, everyMs = 100): GrowthSampler {
  const named = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === name;
    } catch {
      return false;
    }
  };
  const pids = processTree(rootPid).filter(named);
  const idle = new Map(pids.map((pid) => [pid, statusKb(pid, "VmRSS")]));
  const peak = new Map(idle);
  const tick = () => {
    for (const pid of pids) peak.set(pid, Math.max(peak.get(pid) ?? 0, statusKb(pid, "VmRSS")));
  };
  const timer = setInterval(tick, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      tick();
      const growth = (pid: number) => (peak.get(pid) ?? 0) - (idle.get(pid) ?? 0);
      const pid = pids.reduce<number | undefined>(
        (a, b) => (a === undefined || growth(b) > growth(a) ? b : a),
        undefined,
      );
      if (pid === undefined) return null;
      const mb = (kb: number) => (kb * 1024) / 1e6;
      return { idleMb: mb(idle.get(pid) ?? 0), peakMb: mb(peak.get(pid) ?? 0), pid };
    },
  };
}
