/**
 * Who closeloop listens to (README, Public repositories). On a public repository anyone can open an issue, comment,
 * and close their own issue; links come only from people the repository trusts (`links.from`) and from apps installed
 * on it writing as themselves (`links.apps`), and a close reopens helpdesk conversations only when its closer has
 * enough permission on the repository.
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

/**
 * A body or comment as its webhook payload or GitHub's REST listing shows it: only the fields that say who wrote it.
 * A person writing through an app with their own user token is still that person (`user.type` "User"); an app
 * writing as itself is its bot account (`user.type` "Bot", login `<slug>[bot]`). GitHub sets
 * `performed_via_github_app` in both cases, so it never decides trust on its own.
 */
export interface AuthoredText {
  author_association?: string | null;
  user?: { login?: string | null; type?: string | null } | null;
  performed_via_github_app?: { slug?: string | null } | null;
}

/** The author of a body or comment, as closeloop judges it. */
export interface TextAuthor {
  /** `author_association`, in GitHub's capitals */
  association: string | null | undefined;
  /** the app whose bot account wrote the text; null when a person (or anyone not a bot) wrote it */
  app: { slug: string | null } | null;
  /** the app a person wrote the text through, if any: said in the reason, never trusted for it */
  via?: string | null;
}

/** Who may link conversations from GitHub text: `links.from` and `links.apps` of `.github/closeloop.yml`. */
export interface LinkRules {
  from: readonly AuthorAssociation[];
  /** app slugs, lower-cased; "*" is any app installed on the repository */
  apps: readonly string[];
}

// GitHub names an app's bot account `<slug>[bot]`; brackets are not allowed in a person's login.
const BOT_LOGIN = /^([a-z0-9][a-z0-9_.-]*)\[bot\]$/i;

/** Who wrote a body or comment: a bot is named by its login, else by the app GitHub says carried the text. */
export function textAuthor(text: AuthoredText): TextAuthor {
  if (text.user?.type !== "Bot")
    return { association: text.author_association, app: null, via: text.performed_via_github_app?.slug ?? null };
  const slug = BOT_LOGIN.exec(text.user.login ?? "")?.[1] ?? text.performed_via_github_app?.slug ?? null;
  return { association: text.author_association, app: { slug: slug === null ? null : slug.toLowerCase() } };
}

/** Whether a body or comment is read for links; when not, why (for the log). */
export function trustAuthor(
  author: TextAuthor,
  rules: LinkRules,
): { trusted: true } | { trusted: false; reason: string } {
  if (author.app !== null) {
    const { slug } = author.app;
    const apps = `links.apps (${rules.apps.join(", ") || "empty"})`;
    if (slug === null)
      return { trusted: false, reason: `its author is a bot account that names no app (${apps} counts apps by name)` };
    // An app writes on a repository as its bot only through an installation there, which someone who administers the
    // repository (or its organisation) made.
    if (rules.apps.includes("*") || rules.apps.includes(slug)) return { trusted: true };
    return { trusted: false, reason: `its author is the app ${slug}, not one of ${apps}` };
  }
  const association = (author.association ?? "none").toLowerCase();
  if ((rules.from as readonly string[]).includes(association)) return { trusted: true };
  return {
    trusted: false,
    reason:
      `its author's association with the repository is ${association}, not one of links.from (${rules.from.join(", ") || "empty"})` +
      (author.via ? `; it was written through the app ${author.via}, which does not make it the app's` : ""),
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
