/** The one results table: printed, and written to bench-results/latest.{json,md}. */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { ROOT } from "../scripts/lib/stack.ts";

export interface Row {
  /** Short key, stable across runs (e.g. "1", "4b"). */
  id: string;
  measure: string;
  ours: string;
  baseline: string;
  /** Higher is better and 1.0 is parity, for every row that has a ratio. */
  ratio: number | null;
  target: string;
  /** true = met, false = missed, null = informational. */
  met: boolean | null;
  note: string;
}

export interface Machine {
  date: string;
  cpus: number;
  model: string;
  memoryGb: number;
  node: string;
  deno: string;
  openssh: string;
  kernel: string;
  /** 1/5/15-minute load averages when the run started: how busy the shared machine was. */
  load: string;
}

function firstLine(cmd: string, args: string[]): string {
  const out = spawnSync(cmd, args, { encoding: "utf8" });
  // `ssh -V` prints to stderr.
  return (out.stdout || out.stderr || "").split("\n")[0]?.trim() ?? "";
}

export function describeMachine(): Machine {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? "unknown";
  return {
    date: new Date().toISOString(),
    cpus: Number(firstLine("nproc", [])) || cpus().length,
    model,
    memoryGb: Math.round(totalmem() / 1e9),
    node: process.version,
    deno: firstLine(join(ROOT, "node_modules/.bin/deno"), ["--version"]),
    openssh: firstLine("ssh", ["-V"]).split(",")[0] ?? "",
    kernel: firstLine("uname", ["-r"]),
    load: readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" "),
  };
}

const verdict = (met: boolean | null) => (met === null ? "info" : met ? "met" : "MISSED");
const ratioText = (r: number | null) => (r === null ? "—" : `${r.toFixed(2)}×`);

function cells(row: Row): string[] {
  return [row.id, row.measure, row.ours, row.baseline, ratioText(row.ratio), row.target, verdict(row.met)];
}

const HEADERS = ["#", "measure", "Sluice", "baseline", "ratio", "target", "verdict"];

export function machineLine(m: Machine): string {
  return `${m.date.slice(0, 16).replace("T", " ")} UTC · ${m.cpus} × ${m.model} · ${m.memoryGb} GB · load ${m.load} · node ${m.node} · ${m.deno} · ${m.openssh}`;
}

export function textTable(rows: Row[], machine: Machine, settings: string): string {
  const all = [HEADERS, ...rows.map(cells)];
  const widths = HEADERS.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] as number)).join("  ");
  const out = [machineLine(machine), settings, "", line(HEADERS), widths.map((w) => "-".repeat(w)).join("  ")];
  for (const row of rows) out.push(line(cells(row)));
  out.push("", "notes:");
  for (const row of rows) if (row.note) out.push(`  ${row.id}: ${row.note}`);
  return out.join("\n");
}

export function markdownTable(rows: Row[], machine: Machine, settings: string): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  const out = [
    `Machine: ${machineLine(machine)}`,
    "",
    `Settings: ${settings}`,
    "",
    `| ${HEADERS.join(" | ")} | notes |`,
    `|${HEADERS.map(() => "---").join("|")}|---|`,
  ];
  for (const row of rows) out.push(`| ${[...cells(row), row.note].map(esc).join(" | ")} |`);
  return `${out.join("\n")}\n`;
}

export function writeResults(rows: Row[], machine: Machine, settings: string, raw: unknown): string {
  const dir = join(ROOT, "bench-results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "latest.json"), `${JSON.stringify({ machine, settings, rows, raw }, null, 2)}\n`);
  writeFileSync(join(dir, "latest.md"), markdownTable(rows, machine, settings));
  return dir;
}
