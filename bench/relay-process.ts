/** Starts a relay bundle (bench/build.ts) as its own plain-Node process: its pid is the relay's. */
import { spawn } from "node:child_process";
import { ROOT } from "../scripts/lib/stack.ts";
import { stopChild } from "./proc.ts";

export interface RelayProcess {
  port: number;
  pid: number;
  stop: () => Promise<void>;
  output: () => string;
}

/** Spawns `node <script>` and resolves once stdout matches `ready` (its first group is the port). */
export function startRelayProcess(script: string, env: Record<string, string>, ready: RegExp): Promise<RelayProcess> {
  const child = spawn(process.execPath, [script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  let started = false;
  const stop = () => stopChild(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${script} did not start in 60 s\n${log}`));
    }, 60_000);
    child.stderr.on("data", (d) => {
      log += d;
    });
    child.stdout.on("data", (d) => {
      // Keep only what is needed to find the ready line; a relay logs a line per login.
      if (started) return;
      log += d;
      const m = ready.exec(log);
      if (m) {
        started = true;
        clearTimeout(timer);
        resolve({ port: Number(m[1]), pid: child.pid as number, stop, output: () => log });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (!started) reject(new Error(`${script} exited with ${code}\n${log}`));
    });
  });
}

/** The discarding relay (bench/discard-relay.ts): the Worker answered in process, parts dropped. */
export function startDiscardRelay(script: string, opts: { hostKeyDir: string; sinkMbps?: number }) {
  const env: Record<string, string> = { HOST_KEY_DIR: opts.hostKeyDir };
  if (opts.sinkMbps) env.SINK_MBPS = String(opts.sinkMbps);
  return startRelayProcess(script, env, /listening (\d+)/);
}
