/** The API's errors (application/problem+json), as the UI shows them. */
export interface FieldError {
  field: string;
  message: string;
}

export interface ProblemBody {
  status: number;
  code: string;
  title: string;
  detail: string;
  errors?: FieldError[];
}

export class ApiProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly errors: FieldError[];

  constructor(body: ProblemBody) {
    super(body.detail || body.title);
    this.name = "ApiProblem";
    this.status = body.status;
    this.code = body.code;
    this.title = body.title;
    this.errors = body.errors ?? [];
  }

  /** Field errors keyed by their dotted path (`admin.email`, `allowedIps.2`). */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.errors) out[e.field] ??= e.message;
    return out;
  }
}

export async function toProblem(res: Response): Promise<ApiProblem> {
  let body: Partial<ProblemBody> = {};
  try {
    body = (await res.json()) as Partial<ProblemBody>;
  } catch {
    // Not problem+json (a proxy's error page, say): fall back to the status line.
  }
  return new ApiProblem({
    status: res.status,
    code: body.code ?? "http_error",
    title: body.title ?? res.statusText,
    detail: body.detail ?? `The server answered ${res.status} ${res.statusText}`.trim(),
    errors: Array.isArray(body.errors) ? body.errors : [],
  });
}

/** A message for any thrown value. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiProblem) return error.message;
  if (error instanceof Error) return error.message;
  return "Something went wrong";
}
