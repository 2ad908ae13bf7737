/**
 * One trial of "the relay is SIGKILLed while `sftp` uploads": where the kill lands is chosen
 * through the fault proxy, which sees every byte the relay sends the Worker:
 * - `part`: after a chosen number of part-body bytes reached the proxy, i.e. mid part upload (the
 *   Worker gets a truncated PUT, as it would from a dying relay); when that byte is in the last
 *   part, the client is already waiting on its CLOSE;
 * - `close`: the relay has sent complete, and dies before it reaches the Worker;
 * - `completed`: the Worker completed and recorded the file, and the relay dies before it can
 *   answer the client's CLOSE;
 * - `random`: at a random moment after `sftp` starts (handshake, login, writes, close, or after).
 */
import type { ReceivedFile, RelayHarness } from "./relay-harness.ts";
import type { SftpResult } from "./sftp-client.ts";

export const KILL_POINTS = ["part", "close", "completed", "random"] as const;
export type KillPoint = (typeof KILL_POINTS)[number];

export interface KillTrial {
  point: KillPoint;
  size: number;
  /** `part`: the kill lands once this many part-body bytes have passed; `random`: ms after start. */
  at: number;
}

export interface KillOutcome {
  client: SftpResult;
  /** Did a complete reach the Worker and succeed there before or as the relay died? */
  workerCompleted: boolean;
  /** Part uploads cut off by the kill (sent, never answered). */
  partsCut: number;
  /** What the Worker holds for the delivery once everything in flight has landed. */
  files: ReceivedFile[];
  sha256: string;
}

/** A small seeded PRNG (mulberry32), so a failing soak run can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function runKillTrial(
  h: RelayHarness,
  trial: KillTrial,
  d: { id: string; username: string; password: string },
  name: string,
): Promise<KillOutcome> {
  const sha256 = h.writeFile(name, trial.size);
  h.proxy.reset();
  let killing: Promise<void> | undefined;
  const kill = () => {
    killing ??= h.killRelay();
    return killing;
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (trial.point === "part") {
    h.proxy.hooks.partBytes = (total) => {
      if (total >= trial.at) void kill();
    };
  } else if (trial.point === "close") {
    h.proxy.hooks.beforeForward = async (call) => {
      if (call.kind !== "complete") return "forward";
      await kill();
      return "drop";
    };
  } else if (trial.point === "completed") {
    h.proxy.hooks.beforeAnswer = async (call) => {
      if (call.kind !== "complete") return "answer";
      await kill();
      return "drop";
    };
  } else {
    timer = setTimeout(() => void kill(), trial.at);
  }

  const client = await h.put(d, name, name);
  clearTimeout(timer);
  await kill(); // a random kill that came too late still kills: the relay restarts either way
  h.proxy.hooks = {};
  // A request the relay finished sending before it died still runs in the Worker: let it land.
  await h.proxy.settled();
  await new Promise((r) => setTimeout(r, 1000));
  return {
    client,
    workerCompleted: h.proxy.callsOf("complete").some((c) => c.workerStatus === 200),
    partsCut: h.proxy.callsOf("part").filter((c) => c.relayStatus === undefined).length,
    files: await h.files(d.id),
    sha256,
  };
}
