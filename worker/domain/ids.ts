import { randomBase32 } from "./crypto/encoding.ts";

/** The same 32 characters as `randomBase32`, in ASCII order, so encoded times sort as numbers. */
const SORTED32 = "23456789abcdefghijkmnpqrstuvwxyz";

/** Prefixed random ids (`dlv_…`, `acc_…`): readable in logs and URLs, 100 bits of randomness. */
export function newId(
  prefix:
    | "acc"
    | "per"
    | "prj"
    | "key"
    | "dlv"
    | "pk"
    | "fil"
    | "upl"
    | "run"
    | "eml"
    | "att"
    | "aud"
    | "rs"
    | "whk"
    | "whd"
    | "evt",
) {
  return `${prefix}_${randomBase32(20)}`;
}

/**
 * Random bytes for bulk ids, drawn from the CSPRNG a few kilobytes at a time: one
 * `getRandomValues` call per id cost more than validating the row the id is for
 * (~6 µs in Node; a million-row import makes a million ids). Ids are not secrets.
 */
const pool = new Uint8Array(8192);
let poolAt = pool.length;

function pooledBase32(length: number): string {
  if (poolAt + length > pool.length) {
    crypto.getRandomValues(pool);
    poolAt = 0;
  }
  let s = "";
  for (let i = 0; i < length; i++) s += SORTED32[(pool[poolAt++] as number) & 31];
  return s;
}

/** The encoded time of the last id made (workerd's clock stands still between I/O: many ids share it). */
let lastMs = -1;
let lastTime = "";

/**
 * Like `newId`, but ids made later sort later: 10 characters of the time in
 * milliseconds, then 10 random ones (50 bits). Records created in bulk (an
 * import of a million people) then land at the end of the primary-key index
 * instead of at random pages of it, which keeps large inserts fast.
 */
export function newSortableId(prefix: "per" | "prj", now = Date.now()) {
  const ms = Math.floor(now);
  if (ms !== lastMs) {
    lastMs = ms;
    lastTime = "";
    for (let t = ms, i = 0; i < 10; i++, t = Math.floor(t / 32)) lastTime = SORTED32[t % 32] + lastTime;
  }
  return `${prefix}_${lastTime}${pooledBase32(10)}`;
}
