/**
 * What GitHub may learn about why a reopen failed: a fixed category, never the helpdesk's message. Helpdesk errors
 * carry the provider's own text (a requester's name, a ticket's subject, an internal error), which stays in the
 * database for `closeloop jobs`; the summary comment shows only the category read from the failure's HTTP status.
 */
export type FailureCategory =
  | "not found"
  | "closed ticket"
  | "moved"
  | "not authorised"
  | "rejected"
  | "rate limited"
  | "helpdesk error"
  | "timed out"
  | "unreachable"
  | "not configured"
  | "failed";

/** The end of the error a job gets when its helpdesk has no credentials here (src/jobs/helpdesk-worker.ts). */
export const NOT_CONFIGURED = "provider not configured";
/** How a conversation closed for good is said: HelpdeskError ends the reason of a `closed` one with it (src/providers/helpdesk-http.ts). */
export const CLOSED_TICKET = "closed tickets cannot be reopened";

/**
 * The category of a dead job's failure, from what the job recorded: the HTTP status of its last failure (null when
 * there was no response) and its error text. The text is matched only against phrases closeloop itself writes, and
 * anything unrecognised falls back to a category by status, so the result is always one of the fixed strings.
 */
export function failureCategory(failure: { status: number | null; error: string | null }): FailureCategory {
  const { status } = failure;
  const error = failure.error ?? "";
  if (status === null) {
    if (error.endsWith(NOT_CONFIGURED)) return "not configured";
    if (/timeout|timed out/i.test(error)) return "timed out";
    if (/connection (reset|refused)|host not found|network error/i.test(error)) return "unreachable";
    return "failed";
  }
  if (status === 404) return "not found";
  if (status === 429) return "rate limited";
  if (status === 401 || status === 403) return "not authorised";
  if (status >= 300 && status < 400) return "moved";
  if (status === 408) return "timed out";
  if (status >= 500 || status === 409 || status === 425) return "helpdesk error";
  if (status === 422 && error.includes(CLOSED_TICKET)) return "closed ticket";
  if (status >= 400) return "rejected";
  // A 2xx whose body was not what the provider documents.
  return "helpdesk error";
}
