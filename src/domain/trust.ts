/**
 * Who closeloop listens to (README, Public repositories). On a public repository anyone can open an issue, comment,
 * and close their own issue; links come only from people the repository trusts and from apps installed on it, and a
 * close reopens helpdesk conversations only when its closer has enough permission on the repository.
 */

/** GitHub's `author_association` values, lower-cased (the webhook payload spells them in capitals). */
export const AUTHOR_ASSOCIATIONS = [
  "owner",
  "member",
  "collaborator",
  "contributor",
  "first_time_contributor",
  "first_timer",
  "mannequin",
  "none",
] as const;
export type AuthorAssociation = (typeof AUTHOR_ASSOCIATIONS)[number];

/** Repository roles, least first: GitHub's base roles, with triage and maintain between them. */
export const REPOSITORY_ROLES = ["read", "triage", "write", "maintain", "admin"] as const;
export type RepositoryRole = (typeof REPOSITORY_ROLES)[number];

/** The author of a body or comment, as its payload (or GitHub's REST listing) shows it. */
export interface TextAuthor {
  /** `author_association`, in GitHub's capitals */
  association: string | null | undefined;
  /** the text was written by a GitHub App (`performed_via_github_app` present) */
  viaApp: boolean;
}

/** Whether a body or comment is read for links; when not, why (for the log). */
export function trustAuthor(
  author: TextAuthor,
  from: readonly AuthorAssociation[],
): { trusted: true } | { trusted: false; reason: string } {
  // An app acting on the repository was installed there by someone who administers it.
  if (author.viaApp) return { trusted: true };
  const association = (author.association ?? "none").toLowerCase();
  if ((from as readonly string[]).includes(association)) return { trusted: true };
  return {
    trusted: false,
    reason: `its author's association with the repository is ${association}, not one of links.from (${from.join(", ") || "empty"})`,
  };
}

/** What GitHub's collaborator permission API answered: `role_name` tells triage and maintain apart, `permission` folds them into read and write. */
export interface CollaboratorPermission {
  role_name?: string | null;
  permission?: string | null;
}

/**
 * The person's role on the repository, or "none". A custom organisation role has its own `role_name`; its base role
 * is what `permission` says.
 */
export function repositoryRole(answer: CollaboratorPermission): RepositoryRole | "none" {
  const known = (value: string | null | undefined): RepositoryRole | undefined =>
    (REPOSITORY_ROLES as readonly string[]).includes(value?.toLowerCase() ?? "")
      ? (value!.toLowerCase() as RepositoryRole)
      : undefined;
  return known(answer.role_name) ?? known(answer.permission) ?? "none";
}

/** Whether `role` is `least` or more (read < triage < write < maintain < admin); "none" never is. */
export function roleAtLeast(role: RepositoryRole | "none", least: RepositoryRole): boolean {
  return role !== "none" && REPOSITORY_ROLES.indexOf(role) >= REPOSITORY_ROLES.indexOf(least);
}
