import { type SQL, sql } from "drizzle-orm";
import { schema } from "../../db/client.ts";
import { URN } from "./discovery.ts";
import { ScimError } from "./errors.ts";
import type { AttrPath, CompareOp, Filter, FilterValue } from "./filter.ts";

/**
 * Turns a parsed SCIM filter into a SQL condition on `people`, every value a
 * bound parameter. The caller adds the account condition: a filter can only
 * narrow the account's people, never widen them.
 */

interface Target {
  expr: SQL;
  type: "string" | "boolean" | "dateTime";
  /** `none`: case-exact; `value`: the column is stored lower-cased, fold the value; `both`: fold both. */
  fold: "none" | "value" | "both";
}

const p = schema.people;
const bad = (message: string) => new ScimError("invalidFilter", message);

const str = (expr: SQL, fold: Target["fold"]): Target => ({ expr, type: "string", fold });

const coreAttrs: Record<string, Target> = {
  id: str(sql`${p.id}`, "none"),
  username: str(sql`${p.email}`, "value"),
  externalid: str(sql`${p.externalId}`, "none"),
  active: { expr: sql`${p.active}`, type: "boolean", fold: "none" },
  "name.givenname": str(sql`${p.firstName}`, "both"),
  "name.familyname": str(sql`${p.lastName}`, "both"),
  displayname: str(sql`trim(coalesce(${p.firstName}, '') || ' ' || coalesce(${p.lastName}, ''))`, "both"),
  emails: str(sql`${p.email}`, "value"),
  "emails.value": str(sql`${p.email}`, "value"),
  roles: str(sql`${p.role}`, "value"),
  "roles.value": str(sql`${p.role}`, "value"),
  "meta.created": { expr: sql`${p.createdAt}`, type: "dateTime", fold: "none" },
  "meta.lastmodified": { expr: sql`${p.updatedAt}`, type: "dateTime", fold: "none" },
};

const enterpriseAttrs: Record<string, Target> = {
  employeenumber: str(sql`${p.employeeNumber}`, "both"),
  department: str(sql`${p.department}`, "both"),
  costcenter: str(sql`${p.costCentre}`, "both"),
  manager: str(sql`${p.approverId}`, "none"),
  "manager.value": str(sql`${p.approverId}`, "none"),
};

/** What `emails[…]` and `roles[…]` value filters can test: Sluice keeps one primary work email and one role. */
const valueAttrs: Record<string, Record<string, Target>> = {
  emails: {
    value: str(sql`${p.email}`, "value"),
    type: str(sql`'work'`, "none"),
    primary: { expr: sql`1`, type: "boolean", fold: "none" },
  },
  roles: {
    value: str(sql`${p.role}`, "value"),
    display: str(sql`${p.role}`, "value"),
    primary: { expr: sql`1`, type: "boolean", fold: "none" },
  },
};

function target(path: AttrPath): Target {
  const name = path.sub ? `${path.attr}.${path.sub}` : path.attr;
  const enterprise = path.schema === URN.enterprise.toLowerCase();
  const core = path.schema === null || path.schema === URN.user.toLowerCase();
  const found = enterprise
    ? enterpriseAttrs[name]
    : core
      ? (coreAttrs[name] ?? (path.schema === null ? enterpriseAttrs[name] : undefined))
      : undefined;
  if (!found) throw bad(`Filtering on ${path.text} is not supported`);
  return found;
}

function compare(t: Target, op: CompareOp, value: FilterValue, text: string): SQL {
  if (value === null) {
    if (op === "eq") return sql`(${t.expr} IS NULL OR ${t.expr} = '')`;
    if (op === "ne") return sql`(${t.expr} IS NOT NULL AND ${t.expr} <> '')`;
    throw bad(`${text} ${op} null is not a comparison`);
  }
  if (t.type === "boolean") {
    const b = typeof value === "string" ? value.toLowerCase() : value;
    if (b !== true && b !== false && b !== "true" && b !== "false") throw bad(`${text} compares with true or false`);
    const n = b === true || b === "true" ? 1 : 0;
    if (op === "eq") return sql`${t.expr} = ${n}`;
    if (op === "ne") return sql`${t.expr} <> ${n}`;
    throw bad(`${text} is a boolean: only eq and ne apply`);
  }
  if (t.type === "dateTime") {
    const ms = typeof value === "string" ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(ms)) throw bad(`${text} compares with a date-time such as "2026-01-31T00:00:00Z"`);
    switch (op) {
      case "eq":
        return sql`${t.expr} = ${ms}`;
      case "ne":
        return sql`${t.expr} <> ${ms}`;
      case "gt":
        return sql`${t.expr} > ${ms}`;
      case "ge":
        return sql`${t.expr} >= ${ms}`;
      case "lt":
        return sql`${t.expr} < ${ms}`;
      case "le":
        return sql`${t.expr} <= ${ms}`;
      default:
        throw bad(`${text} is a date-time: ${op} does not apply`);
    }
  }
  if (typeof value === "boolean") throw bad(`${text} is a string: compare it with a quoted value`);
  const raw = String(value);
  const v = t.fold === "none" ? raw : raw.toLowerCase();
  const col = t.fold === "both" ? sql`lower(${t.expr})` : t.expr;
  switch (op) {
    case "eq":
      return sql`${col} = ${v}`;
    case "ne":
      return sql`(${t.expr} IS NULL OR ${col} <> ${v})`;
    case "co":
      return sql`instr(${col}, ${v}) > 0`;
    case "sw":
      return sql`instr(${col}, ${v}) = 1`;
    case "ew":
      return v === "" ? sql`${t.expr} IS NOT NULL` : sql`substr(${col}, ${-[...v].length}) = ${v}`;
    case "gt":
      return sql`${col} > ${v}`;
    case "ge":
      return sql`${col} >= ${v}`;
    case "lt":
      return sql`${col} < ${v}`;
    case "le":
      return sql`${col} <= ${v}`;
  }
}

function compile(f: Filter, attrs: (path: AttrPath) => Target): SQL {
  switch (f.kind) {
    case "and":
      return sql`(${compile(f.left, attrs)} AND ${compile(f.right, attrs)})`;
    case "or":
      return sql`(${compile(f.left, attrs)} OR ${compile(f.right, attrs)})`;
    case "not":
      return sql`NOT coalesce(${compile(f.filter, attrs)}, 0)`;
    case "present":
    case "compare": {
      const path = f.path;
      if (path.valueFilter) {
        const subAttrs = path.schema === null || path.schema === URN.user.toLowerCase() ? valueAttrs[path.attr] : null;
        if (!subAttrs) throw bad(`${path.attr} does not take a value filter`);
        const inner = compile(path.valueFilter, (sub) => {
          const t = sub.schema === null && sub.sub === null && !sub.valueFilter ? subAttrs[sub.attr] : undefined;
          if (!t) throw bad(`${path.attr} values have no ${sub.text}`);
          return t;
        });
        if (f.kind === "present" && path.sub === null) return inner;
        const t = subAttrs[path.sub ?? "value"];
        if (!t) throw bad(`${path.attr} values have no ${path.sub}`);
        const outer = f.kind === "present" ? sql`(${t.expr} IS NOT NULL)` : compare(t, f.op, f.value, `${path.text}`);
        return sql`(${inner} AND ${outer})`;
      }
      const t = attrs(path);
      if (f.kind === "present") return sql`(${t.expr} IS NOT NULL AND ${t.expr} <> '')`;
      return compare(t, f.op, f.value, path.text);
    }
  }
}

/** The SQL condition for a filter on the account's people. */
export function userFilterSql(filter: Filter): SQL {
  return compile(filter, target);
}
