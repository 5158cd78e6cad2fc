import type { IssueRef, RepositoryRef } from "../domain/refs.js";

/** The fields of GitHub's payloads that name a repository and an issue; shared by every event family. */
export interface RepositoryPayload {
  id: number;
  name: string;
  owner: { login: string } | null;
  full_name: string;
  /** every repository payload has it; optional so a payload without it reads as "not stated" rather than public */
  private?: boolean;
}

export interface IssuePayload {
  id: number;
  node_id?: string;
  number: number;
  state?: string;
  pull_request?: unknown;
  title?: string;
  created_at?: string;
  updated_at?: string;
}

export function repositoryRef(repository: RepositoryPayload, installationId: number | undefined): RepositoryRef {
  // `owner` is nullable in the transferred issue's new_repository; full_name always has it.
  const owner = repository.owner?.login ?? repository.full_name.split("/")[0] ?? "";
  const ref: RepositoryRef = {
    id: BigInt(repository.id),
    installationId: BigInt(installationId ?? 0),
    owner,
    name: repository.name,
  };
  if (typeof repository.private === "boolean") ref.private = repository.private;
  return ref;
}

export function issueRef(repository: RepositoryRef, issue: IssuePayload): IssueRef {
  const ref: IssueRef = {
    repository,
    number: issue.number,
    githubId: BigInt(issue.id),
    state: issue.state === "closed" ? "closed" : "open",
  };
  if (typeof issue.title === "string" && issue.created_at && issue.updated_at) {
    ref.details = { title: issue.title, openedAt: new Date(issue.created_at), at: new Date(issue.updated_at) };
  }
  if (issue.node_id) ref.nodeId = issue.node_id;
  return ref;
}

export function describeIssue(ref: IssueRef): string {
  return `${ref.repository.owner}/${ref.repository.name}#${ref.number}`;
}
