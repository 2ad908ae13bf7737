import type { FileStatus } from "../api-types.ts";

export const statusLabels: Record<FileStatus, string> = {
  queued: "Queued",
  importing: "Importing",
  applied: "Applied",
  tested: "Tested",
  rejected: "Rejected",
  held: "Held for approval",
  failed: "Failed",
};
