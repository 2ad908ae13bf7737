import { describe, expect, it } from "vitest";
import { RelayError } from "./errors.ts";
import { STATUS, toSftpStatus } from "./sftp-errors.ts";

describe("toSftpStatus", () => {
  it("maps refusals to permission denied with their own message", () => {
    expect(toSftpStatus(new RelayError("not_csv", "only .csv files are accepted"))).toEqual({
      code: STATUS.PERMISSION_DENIED,
      message: "only .csv files are accepted",
    });
  });

  it("maps resume attempts to op-unsupported", () => {
    expect(toSftpStatus(new RelayError("resume_unsupported", "x")).code).toBe(STATUS.OP_UNSUPPORTED);
  });

  it("hides Worker details behind a generic message", () => {
    const status = toSftpStatus(
      new RelayError("worker_rejected", "completeUpload: checksum at http://10.0.0.2", { status: 400 }),
    );
    expect(status).toEqual({ code: STATUS.FAILURE, message: "the file could not be stored" });
    expect(toSftpStatus(new TypeError("boom at line 3"))).toEqual({
      code: STATUS.FAILURE,
      message: "internal error",
    });
  });
});
