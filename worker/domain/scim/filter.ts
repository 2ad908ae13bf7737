import { ScimError } from "./errors.ts";

/**
 * The SCIM filter language (RFC 7644 §3.4.2.2), parsed into a tree: comparisons,
 * `pr`, `and`/`or`/`not`, parentheses and value filters such as
 * `emails[type eq "work"].value eq "a@b.c"`. Turning the tree into SQL is the
 * caller's job (see `user-filter.ts`); this module only knows the grammar.
 */

export const compareOps = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"] as const;
export type CompareOp = (typeof compareOps)[number];
export type FilterValue = string | number | boolean | null;

export interface AttrPath {
  /** The schema URN when the path names one (`urn:…:enterprise:2.0:User`), lower-cased. */
  schema: string | null;
  /** Lower-cased attribute name: `username`, `name`, `emails`. */
  attr: string;
  /** Lower-cased sub-attribute: `givenname`, `value`. */
  sub: string | null;
  /** For `emails[type eq "work"]`: the filter on the multi-valued attribute's values. */
  valueFilter: Filter | null;
  /** The path as written, for error messages. */
  text: string;
}

export type Filter =
  | { kind: "and" | "or"; left: Filter; right: Filter }
  | { kind: "not"; filter: Filter }
  | { kind: "present"; path: AttrPath }
  | { kind: "compare"; op: CompareOp; path: AttrPath; value: FilterValue };

/** Bounds that keep one filter well under D1's 100 bound parameters per statement. */
export const MAX_FILTER_LENGTH = 1000;
const MAX_COMPARISONS = 16;

type Token =
  | { t: "("; at: number }
  | { t: ")"; at: number }
  | { t: "["; at: number }
  | { t: "]"; at: number }
  | { t: "word"; v: string; at: number }
  | { t: "string"; v: string; at: number };

const bad = (message: string) => new ScimError("invalidFilter", message);

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i] as string;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === "(" || ch === ")" || ch === "[" || ch === "]") {
      tokens.push({ t: ch, at: i });
      i++;
    } else if (ch === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === "\\" ? 2 : 1;
      if (j >= src.length) throw bad(`Unterminated string starting at character ${i + 1}`);
      let v: string;
      try {
        v = JSON.parse(src.slice(i, j + 1)) as string;
      } catch {
        throw bad(`Invalid escape in the string starting at character ${i + 1}`);
      }
      tokens.push({ t: "string", v, at: i });
      i = j + 1;
    } else {
      const m = /^[A-Za-z0-9_:.$+-]+/.exec(src.slice(i));
      if (!m) throw bad(`Unexpected character ${JSON.stringify(ch)} at character ${i + 1}`);
      tokens.push({ t: "word", v: m[0], at: i });
      i += m[0].length;
    }
  }
  return tokens;
}

/** Splits `urn:…:User:name.givenName` into schema, attribute and sub-attribute. */
export function parseAttrPath(text: string): Omit<AttrPath, "valueFilter"> {
  let schema: string | null = null;
  let rest = text;
  if (/^urn:/i.test(text)) {
    const colon = text.lastIndexOf(":");
    schema = text.slice(0, colon).toLowerCase();
    rest = text.slice(colon + 1);
  }
  const parts = rest.split(".");
  if (parts.length > 2 || parts.some((p) => !/^[A-Za-z$][A-Za-z0-9_$-]*$/.test(p))) {
    throw bad(`${JSON.stringify(text)} is not an attribute path`);
  }
  return { schema, attr: (parts[0] as string).toLowerCase(), sub: parts[1]?.toLowerCase() ?? null, text };
}

class Parser {
  private pos = 0;
  private comparisons = 0;
  private readonly tokens: Token[];

  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }

  parse(): Filter {
    const f = this.or();
    const extra = this.tokens[this.pos];
    if (extra) throw bad(`Unexpected ${describe(extra)} at character ${extra.at + 1}`);
    return f;
  }

  private peekWord(): string | null {
    const tok = this.tokens[this.pos];
    return tok?.t === "word" ? tok.v.toLowerCase() : null;
  }

  private expect(t: "(" | ")" | "]") {
    const tok = this.tokens[this.pos];
    if (tok?.t !== t) throw bad(`Expected "${t}" ${tok ? `at character ${tok.at + 1}` : "at the end"}`);
    this.pos++;
  }

  private or(): Filter {
    let left = this.and();
    while (this.peekWord() === "or") {
      this.pos++;
      left = { kind: "or", left, right: this.and() };
    }
    return left;
  }

  private and(): Filter {
    let left = this.unary();
    while (this.peekWord() === "and") {
      this.pos++;
      left = { kind: "and", left, right: this.unary() };
    }
    return left;
  }

  private unary(): Filter {
    const tok = this.tokens[this.pos];
    if (!tok) throw bad("The filter ends where an expression was expected");
    if (tok.t === "word" && tok.v.toLowerCase() === "not" && this.tokens[this.pos + 1]?.t === "(") {
      this.pos += 2;
      const filter = this.or();
      this.expect(")");
      return { kind: "not", filter };
    }
    if (tok.t === "(") {
      this.pos++;
      const f = this.or();
      this.expect(")");
      return f;
    }
    if (tok.t !== "word") throw bad(`Expected an attribute at character ${tok.at + 1}, found ${describe(tok)}`);
    this.pos++;
    const path = this.attrPath(tok.v);
    const opTok = this.tokens[this.pos];
    const op = opTok?.t === "word" ? opTok.v.toLowerCase() : null;
    if (op === "pr") {
      this.pos++;
      return this.count({ kind: "present", path });
    }
    const isCompare = op !== null && (compareOps as readonly string[]).includes(op);
    // `emails[type eq "work"]` on its own: some value matches.
    if (path.valueFilter && !isCompare) return this.count({ kind: "present", path });
    if (!isCompare) {
      throw bad(
        `Expected an operator (${compareOps.join(", ")}, pr) after ${path.text}${opTok ? `, found ${describe(opTok)}` : ""}`,
      );
    }
    this.pos++;
    return this.count({ kind: "compare", op: op as CompareOp, path, value: this.value(path) });
  }

  private attrPath(text: string): AttrPath {
    const base = parseAttrPath(text);
    if (this.tokens[this.pos]?.t !== "[") return { ...base, valueFilter: null };
    if (base.sub !== null) throw bad(`A value filter must follow a multi-valued attribute, not ${text}`);
    this.pos++;
    const valueFilter = this.or();
    this.expect("]");
    let sub: string | null = null;
    const next = this.tokens[this.pos];
    if (next?.t === "word" && next.v.startsWith(".")) {
      this.pos++;
      sub = parseAttrPath(next.v.slice(1)).attr;
    }
    return { ...base, sub, valueFilter, text: sub ? `${text}[…].${sub}` : `${text}[…]` };
  }

  private value(path: AttrPath): FilterValue {
    const tok = this.tokens[this.pos];
    if (!tok) throw bad(`Expected a value after the operator on ${path.text}`);
    this.pos++;
    if (tok.t === "string") return tok.v;
    if (tok.t === "word") {
      const w = tok.v.toLowerCase();
      if (w === "true") return true;
      if (w === "false") return false;
      if (w === "null") return null;
      if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(tok.v)) return Number(tok.v);
    }
    throw bad(
      `Expected a quoted string, number, true, false or null at character ${tok.at + 1}, found ${describe(tok)}`,
    );
  }

  private count(f: Filter): Filter {
    if (++this.comparisons > MAX_COMPARISONS) throw bad(`A filter may hold at most ${MAX_COMPARISONS} comparisons`);
    return f;
  }
}

function describe(tok: Token) {
  return tok.t === "word" ? `"${tok.v}"` : tok.t === "string" ? JSON.stringify(tok.v) : `"${tok.t}"`;
}

/** Parses a `filter` query parameter; throws `invalidFilter` with what went wrong and where. */
export function parseFilter(src: string): Filter {
  if (src.length > MAX_FILTER_LENGTH) throw bad(`A filter may be at most ${MAX_FILTER_LENGTH} characters`);
  const tokens = tokenize(src);
  if (tokens.length === 0) throw bad("The filter is empty");
  return new Parser(tokens).parse();
}
