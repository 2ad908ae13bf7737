import { randomBase32 } from "./crypto/encoding.ts";

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
