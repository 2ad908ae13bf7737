import { AppError, type ErrorCode } from "../../errors.ts";

/** The `scimType` values of RFC 7644 §3.12 that Sluice uses. */
export type ScimType =
  | "invalidFilter"
  | "tooMany"
  | "uniqueness"
  | "mutability"
  | "invalidSyntax"
  | "invalidPath"
  | "noTarget"
  | "invalidValue";

const codeOf: Record<ScimType, ErrorCode> = {
  invalidFilter: "bad_request",
  tooMany: "bad_request",
  uniqueness: "conflict",
  mutability: "bad_request",
  invalidSyntax: "bad_request",
  invalidPath: "bad_request",
  noTarget: "bad_request",
  invalidValue: "bad_request",
};

/**
 * An `AppError` that also carries the SCIM `scimType`, so SCIM clients get the
 * detail RFC 7644 promises while the rest of the Worker still sees one error type.
 */
export class ScimError extends AppError {
  readonly scimType: ScimType;

  constructor(scimType: ScimType, message: string) {
    super(codeOf[scimType], message);
    this.name = "ScimError";
    this.scimType = scimType;
  }
}

export const invalidValue = (message: string) => new ScimError("invalidValue", message);
