import type { Prisma } from "./database.js";

/**
 * The account id a CLOSELOOP_ADMINS login is pinned to: the first account that signs in with the login pins it (this
 * `userId`, when there is no pin yet), and the pin is kept across restarts and replicas.
 */
export async function pinAdminLogin(prisma: Prisma, login: string, userId: bigint, now: Date): Promise<bigint> {
  const pin = await prisma.adminLogin.upsert({
    where: { login: login.toLowerCase() },
    create: { login: login.toLowerCase(), userId, pinnedAt: now },
    update: {},
    select: { userId: true },
  });
  return pin.userId;
}
