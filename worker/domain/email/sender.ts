/**
 * One interface for every way Sluice sends email. The outbox table is the
 * record of every message whatever the sender; the sender is the transport.
 */
export interface OutgoingEmail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string | null;
}

export interface EmailSender {
  readonly name: "outbox" | "cloudflare" | "http";
  /** Resolves once the transport accepted the message; throws `EmailSendError` otherwise. */
  send(email: OutgoingEmail): Promise<void>;
}

export class EmailSendError extends Error {
  /** Worth trying again later (network errors, 429, 5xx). */
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean) {
    super(message);
    this.name = "EmailSendError";
    this.retryable = retryable;
  }
}

/**
 * The local default: the message stays in the D1 outbox, where the API
 * (`GET /api/v1/outbox`) and the UI show it. Nothing leaves the machine.
 */
export const outboxSender: EmailSender = {
  name: "outbox",
  async send() {},
};

/** Cloudflare's `send_email` binding (Email Service) in production. */
export function cloudflareSender(binding: SendEmail): EmailSender {
  return {
    name: "cloudflare",
    async send(email) {
      try {
        await binding.send({
          from: email.from,
          to: email.to,
          subject: email.subject,
          text: email.text,
          ...(email.html ? { html: email.html } : {}),
        });
      } catch (err) {
        throw new EmailSendError(`send_email refused the message: ${(err as Error).message}`, true);
      }
    },
  };
}

/**
 * A Resend/Postmark-style JSON API: `POST {baseUrl}/emails` with a bearer key
 * and `{from, to, subject, text, html}`.
 */
export function httpSender(opts: { baseUrl: string; apiKey: string; fetch?: typeof fetch }): EmailSender {
  const doFetch = opts.fetch ?? fetch;
  return {
    name: "http",
    async send(email) {
      let res: Response;
      try {
        res = await doFetch(`${opts.baseUrl.replace(/\/+$/, "")}/emails`, {
          method: "POST",
          headers: { authorization: `Bearer ${opts.apiKey}`, "content-type": "application/json" },
          body: JSON.stringify({
            from: email.from,
            to: [email.to],
            subject: email.subject,
            text: email.text,
            ...(email.html ? { html: email.html } : {}),
          }),
        });
      } catch (err) {
        throw new EmailSendError(`email provider unreachable: ${(err as Error).message}`, true);
      }
      if (!res.ok) {
        const detail = (await res.text().catch(() => "")).slice(0, 200);
        throw new EmailSendError(
          `email provider answered ${res.status}: ${detail}`,
          res.status === 429 || res.status >= 500,
        );
      }
    },
  };
}
