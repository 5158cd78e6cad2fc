import { z } from "zod";

/** `owner/repo#number`, as GitHub writes an issue reference. */
export const issueReference = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+#[1-9]\d*$/, "expected <owner>/<repo>#<number>, e.g. octo-org/app#42")
  .transform((text) => {
    const [fullName, number] = text.split("#") as [string, string];
    return { fullName, number: Number(number) };
  });

export class UsageError extends Error {
  override name = "UsageError";
}

export function parseWith<T>(schema: z.ZodType<T, unknown>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new UsageError(`${what}: ${result.error.issues[0]?.message ?? "invalid"}`);
  return result.data;
}
