import type { ProbotOctokit } from "probot";
import {
  backfillCallAt,
  countCall,
  heedAnswer,
  startInstallationPace,
  type AnswerHeaders,
} from "../domain/github-rate-limit.js";
import type { Pace } from "../domain/rate-pacing.js";

/**
 * What this process last heard of each installation's REST budget (src/domain/github-rate-limit.ts), so a backfill
 * waits for the reset before a call GitHub would refuse, and the next repository of the same installation starts from
 * what the last one heard. Each process keeps its own: every answer says what is left of the installation's budget,
 * whoever spent it (another replica, the webhook path), so what one process has not heard is at most the calls in
 * flight elsewhere, which the webhook path's reserve covers.
 */
export class InstallationBudgets {
  readonly #paces = new Map<number, Pace>();

  /** Every call made with `octokit` counts against the installation's budget, and its answer says what is left. */
  observe(installationId: number, octokit: ProbotOctokit): void {
    octokit.hook.wrap("request", async (request, options) => {
      const { pace, ticket } = countCall(this.#pace(installationId));
      this.#paces.set(installationId, pace);
      const heed = (headers: AnswerHeaders | undefined) =>
        this.#paces.set(installationId, heedAnswer(this.#pace(installationId), headers ?? {}, ticket, Date.now()));
      try {
        const response = await request(options);
        heed(response.headers);
        return response;
      } catch (error) {
        // A refusal says what is left too (a 403 for the rate limit: nothing, until its reset).
        heed((error as { response?: { headers?: AnswerHeaders } }).response?.headers);
        throw error;
      }
    });
  }

  /** When a backfill's next call may go (epoch ms): `now` or earlier when at once. */
  backfillCallAt(installationId: number, now = Date.now()): number {
    return backfillCallAt(this.#pace(installationId), now);
  }

  #pace(installationId: number): Pace {
    return this.#paces.get(installationId) ?? startInstallationPace(Date.now());
  }
}
