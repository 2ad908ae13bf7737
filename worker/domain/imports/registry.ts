import type { ColumnTable, ImportKindName } from "./columns.ts";
import { projectsKind } from "./kind-projects.ts";
import { usersKind } from "./kind-users.ts";
import type { ImportKind } from "./kinds.ts";

/** The importer of a delivery kind. */
export function kindFor(deliveryKind: "user_sync" | "project_sync"): ImportKind {
  return deliveryKind === "user_sync" ? usersKind : projectsKind;
}

export const columnTables: Record<ImportKindName, ColumnTable> = {
  users: usersKind.table,
  projects: projectsKind.table,
};
