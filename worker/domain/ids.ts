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
 * Like `newId`, but ids made later sort later: 10 characters of the time in
 * milliseconds, then 10 random ones (50 bits). Records created in bulk (an
 * import of a million people) then land at the end of the primary-key index
 * instead of at random pages of it, which keeps large inserts fast.
 */
export function newSortableId(prefix: "per" | "prj", now = Date.now()) {
  let time = "";
  for (let t = Math.floor(now), i = 0; i < 10; i++, t = Math.floor(t / 32)) time = SORTED32[t % 32] + time;
  return `${prefix}_${time}${randomBase32(10)}`;
}
