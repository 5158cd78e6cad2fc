/**
 * How a person is named in CLOSELOOP_ADMINS (README, Security). A number is a GitHub user id: it never changes and is
 * never given to another account. A login can change hands (renamed, or freed and taken by someone else), so a login
 * entry is pinned to the id of the first account that signs in with it. A login made only of digits is written
 * `@<login>`. Logins are compared lower-case, as GitHub does.
 */
export type AdminEntry = { id: string } | { login: string };

/** One entry of the list: digits → an id, `@name` or `name` → a login. */
export function readAdminEntry(text: string): AdminEntry {
  if (/^\d+$/.test(text)) return { id: BigInt(text).toString() };
  return { login: (text.startsWith("@") ? text.slice(1) : text).toLowerCase() };
}

/**
 * Why a person may be an admin: `id` (listed by their id: an admin), `login` (listed by their login: an admin only if
 * that login is pinned to their id), or null (not listed).
 */
export function adminClaim(
  entries: readonly string[],
  person: { login: string; userId: bigint },
): "id" | "login" | null {
  const read = entries.map(readAdminEntry);
  if (read.some((entry) => "id" in entry && entry.id === person.userId.toString())) return "id";
  const login = person.login.toLowerCase();
  return read.some((entry) => "login" in entry && entry.login === login) ? "login" : null;
}
