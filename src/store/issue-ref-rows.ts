import type { IssueRef } from "../domain/refs.js";

/** What a query selects of an issue to hand it on as an `IssueRef` (`issueRefOf`). */
export const ISSUE_REF_SELECT = {
  number: true,
  githubId: true,
  state: true,
  repository: { select: { id: true, installationId: true, owner: true, name: true } },
} as const;

/** An issue row selected with `ISSUE_REF_SELECT`, as the ref the handlers and stores pass around. */
export function issueRefOf(issue: {
  number: number;
  githubId: bigint | null;
  state: string;
  repository: IssueRef["repository"];
}): IssueRef {
  return {
    repository: issue.repository,
    number: issue.number,
    githubId: issue.githubId ?? 0n,
    state: issue.state === "closed" ? "closed" : "open",
  };
}
