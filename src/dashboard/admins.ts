import { adminClaim } from "../domain/admins.js";
import { pinAdminLogin } from "../store/admin-logins.js";
import type { Prisma } from "../store/database.js";

/**
 * The user id a person's CLOSELOOP_ADMINS entry stands for: their own id when they are listed by id; the id their
 * listed login is pinned to (pinning it to them when theirs is the first sign-in with it); null when not listed. The
 * person is an admin when it is their id.
 */
export async function adminPin(
  prisma: Prisma,
  admins: readonly string[],
  person: { login: string; userId: bigint },
  now: Date,
): Promise<bigint | null> {
  const claim = adminClaim(admins, person);
  if (claim === null) return null;
  return claim === "id" ? person.userId : pinAdminLogin(prisma, person.login, person.userId, now);
}

export async function isAdmin(
  prisma: Prisma,
  admins: readonly string[],
  person: { login: string; userId: bigint },
  now: Date,
): Promise<boolean> {
  return (await adminPin(prisma, admins, person, now)) === person.userId;
}
