/**
 * How closeloop names a repository and an issue: GitHub's ids (which survive renames and transfers) with the names
 * they had when last seen. Every layer passes these, so they live here rather than with the store that writes them.
 */
export interface RepositoryRef {
  id: bigint;
  installationId: bigint;
  owner: string;
  name: string;
  /**
   * whether the payload says the repository is private; absent when the source does not say. What the summary
   * comment shows on GitHub depends on it (docs/reopen.md, Summary comment).
   */
  private?: boolean;
}

export interface IssueRef {
  repository: RepositoryRef;
  number: number;
  githubId: bigint;
  /** GitHub's GraphQL node id (`node_id`), when the source showed it: adding the issue to a project takes it */
  nodeId?: string;
  /** the state the payload shows, used only when the issue is new to us */
  state: "open" | "closed";
  /** what the payload shows of the issue for the dashboard, when it has it */
  details?: IssueDetails;
}

export interface IssueDetails {
  title: string;
  /** GitHub's created_at */
  openedAt: Date;
  /** the payload's updated_at: a title seen at an older time does not replace a newer one */
  at: Date;
}
