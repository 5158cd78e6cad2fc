import type { Probot } from "probot";
import { graphqlErrorTypes } from "./errors.js";

type Octokit = Awaited<ReturnType<Probot["auth"]>>;

/** The issue another one was closed as a duplicate of, as GitHub names it. */
export interface CanonicalIssue {
  /** "owner/name" as GitHub spells it */
  repository: string;
  number: number;
  githubId: bigint;
  nodeId: string;
  state: "open" | "closed";
}

/**
 * GitHub records which issue an issue duplicates only as a `marked_as_duplicate` timeline event (the `issues.closed`
 * payload carries the `duplicate` state_reason, not the target; REST's timeline event names no target either). Its
 * GraphQL form, `MarkedAsDuplicateEvent.canonical`, does. The newest of the marked/unmarked events is the one in force:
 * a mark taken back (`UnmarkedAsDuplicateEvent`) names nothing.
 * https://docs.github.com/en/graphql/reference/objects#markedasduplicateevent
 */
export const CANONICAL_ISSUE_QUERY = `query($owner: String!, $name: String!, $number: Int!) {
  repository(owner: $owner, name: $name) {
    issue(number: $number) {
      timelineItems(last: 1, itemTypes: [MARKED_AS_DUPLICATE_EVENT, UNMARKED_AS_DUPLICATE_EVENT]) {
        nodes {
          __typename
          ... on MarkedAsDuplicateEvent {
            canonical { __typename ... on Issue { number databaseId id state repository { nameWithOwner } } }
          }
        }
      }
    }
  }
}`;

interface CanonicalAnswer {
  repository: {
    issue: {
      timelineItems: {
        nodes: {
          __typename: string;
          canonical?: {
            __typename: string;
            number?: number;
            databaseId?: number;
            id?: string;
            state?: string;
            repository?: { nameWithOwner: string };
          } | null;
        }[];
      };
    } | null;
  } | null;
}

/**
 * The issue `number` was marked a duplicate of, or null when none is marked (closed as a duplicate through the API
 * without naming one, a mark taken back, a pull request named, or the issue gone). Other failures are thrown, so the
 * delivery is retried.
 */
export async function findCanonicalIssue(
  octokit: Octokit,
  repository: { owner: string; name: string },
  number: number,
): Promise<CanonicalIssue | null> {
  let answer: CanonicalAnswer;
  try {
    answer = await octokit.graphql<CanonicalAnswer>(CANONICAL_ISSUE_QUERY, {
      owner: repository.owner,
      name: repository.name,
      number,
    });
  } catch (error) {
    if (graphqlErrorTypes(error).includes("NOT_FOUND")) return null;
    throw error;
  }
  const latest = answer.repository?.issue?.timelineItems.nodes.at(-1);
  const canonical = latest?.__typename === "MarkedAsDuplicateEvent" ? latest.canonical : null;
  if (canonical?.__typename !== "Issue" || !canonical.repository || canonical.number === undefined) return null;
  return {
    repository: canonical.repository.nameWithOwner,
    number: canonical.number,
    githubId: BigInt(canonical.databaseId ?? 0),
    nodeId: canonical.id ?? "",
    state: canonical.state === "CLOSED" ? "closed" : "open",
  };
}
