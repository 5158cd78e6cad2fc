import type { Logger } from "probot";
import type { ProviderId, RecognisedLink } from "../domain/link.js";
import type { RepositoryRef } from "../domain/refs.js";
import { reopenOutlook, type ReopenOutlook, type ReopenRules } from "../domain/reopen-outlook.js";
import {
  createdIssueBody,
  mayCreateIn,
  readNamedIssue,
  searchWords,
  type SidebarRepositories,
} from "../domain/sidebar-input.js";
import {
  createIssue,
  findSidebarRepository,
  readSidebarIssue,
  SidebarGithubError,
  type SidebarGithub,
} from "../github/sidebar-issues.js";
import { providerName, providers } from "../providers/registry.js";
import type { Prisma } from "../store/database.js";
import type { RepositoryRows } from "../store/repositories.js";
import { findIssueTarget } from "../store/issue-targets.js";
import { linkFromSidebar, unlinkFromHelpdesk } from "../handlers/sidebar-links.js";
import {
  readConversationLinks,
  searchIssueTitles,
  listSidebarRepositories,
  type IssueHit,
  type SidebarLinkView,
} from "../store/sidebar-links.js";
import type { SidebarClaims } from "./tokens.js";

/**
 * What the service reads of a sidebar's definition (src/sidebar/sidebar.ts, which names the service in its route
 * context: declared here so the two files do not import each other).
 */
interface SidebarFacts {
  helpdesk: ProviderId;
  proofCoversConversation: boolean;
  conversationUrl(account: string, conversationId: string): string;
}

/** A request the sidebar refuses, with the status its JSON API answers and a message for the panel. */
export class SidebarError extends Error {
  override name = "SidebarError";
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 502,
    message: string,
  ) {
    super(message);
  }
}

/** What the sidebar's operations need; built once by the server (or a test). */
export interface SidebarServiceDeps {
  prisma: Prisma;
  /** the database's repository rows known committed (`Database.repositoryRows`) */
  repositoryRows: RepositoryRows;
  github: SidebarGithub;
  /** GitHub's web address (GHE_HOST aware), for links to issues */
  githubUrl: string;
  /** GHE_HOST, or github.com: the host pasted issue URLs must be on */
  githubHost: string;
  /** CLOSELOOP_SIDEBAR_REPOSITORIES; null: no create form */
  repositories: SidebarRepositories | null;
  /**
   * Reads the conversation through its helpdesk's API before a link is written, for sidebars whose proof does not name
   * it (Zendesk, Front, Freshdesk). Throws SidebarError: 404 when the helpdesk has no such conversation in the account.
   */
  checkConversation: (helpdesk: ProviderId, link: RecognisedLink) => Promise<void>;
  /**
   * `reopen.on` and `reopen.by` of a repository's `.github/closeloop.yml` (cached; the defaults when GitHub cannot be
   * asked), for "will closing this issue reopen this conversation"
   */
  reopenRules: (repository: RepositoryRef) => Promise<ReopenRules>;
  /** whether closeloop can reopen the helpdesk's conversations (its API credentials are set) */
  canReopen: (helpdesk: ProviderId) => boolean;
  /** issues' labels were marked wanted: the server wakes its markings worker */
  labelsWanted: () => void;
  log: Pick<Logger, "info" | "warn">;
}

/** The panel's data: the conversation's linked issues, and whether the create form is offered. */
export interface PanelJson {
  helpdesk: ProviderId;
  conversation: string;
  conversationUrl: string;
  links: (Omit<SidebarLinkView, "repository" | "linkedAt" | "reopen"> & {
    url: string;
    linkedAt: string;
    /** whether closing the issue will reopen this conversation, or what its close did: a state and a sentence */
    reopen: { state: ReopenOutlook["state"]; text: string; closedAt?: string };
  })[];
  /** repositories the create form offers; absent when CLOSELOOP_SIDEBAR_REPOSITORIES is unset */
  repositories?: string[];
}

/**
 * The sidebar's operations, the same for every helpdesk (README, Sidebars): read a conversation's links, link, unlink,
 * search stored titles, create an issue. Every one first checks that the token's helpdesk, account and (when the
 * helpdesk's proof named one) conversation are the ones asked about.
 */
export class SidebarService {
  constructor(private readonly deps: SidebarServiceDeps) {}

  /** The conversation a request names, as a link to it: refused when the token was minted for another. */
  conversation(sidebar: SidebarFacts, claims: SidebarClaims, conversationId: string): RecognisedLink {
    if (claims.helpdesk !== sidebar.helpdesk)
      throw new SidebarError(403, `this panel was opened in ${claims.helpdesk}, not ${providerName(sidebar.helpdesk)}`);
    if (claims.conversation !== undefined && claims.conversation !== conversationId)
      throw new SidebarError(403, "this panel was opened for another conversation: reload it");
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(conversationId))
      throw new SidebarError(
        400,
        `not a ${providerName(sidebar.helpdesk)} conversation id: ${conversationId.slice(0, 40)}`,
      );
    const url = sidebar.conversationUrl(claims.account, conversationId);
    const match = providers.get(sidebar.helpdesk)!.urls.match(new URL(url));
    if (!match || "reject" in match)
      throw new SidebarError(
        400,
        `not a ${providerName(sidebar.helpdesk)} conversation id: ${match && "reject" in match ? match.reject : conversationId}`,
      );
    return { provider: sidebar.helpdesk, ...match };
  }

  async panel(sidebar: SidebarFacts, link: RecognisedLink): Promise<PanelJson> {
    const links = await readConversationLinks(this.deps.prisma, link);
    const createIn =
      this.deps.repositories === null
        ? undefined
        : await listSidebarRepositories(this.deps.prisma, this.deps.repositories);
    // One config read per repository (cached by the config cache), not per issue.
    const repositories = new Map(links.map((view) => [view.repository.id, view.repository]));
    const rules = new Map(
      await Promise.all(
        [...repositories.values()].map(
          async (repository) => [repository.id, await this.deps.reopenRules(repository)] as const,
        ),
      ),
    );
    const helpdesk = { name: providerName(sidebar.helpdesk), canReopen: this.deps.canReopen(sidebar.helpdesk) };
    return {
      helpdesk: sidebar.helpdesk,
      conversation: link.conversationId,
      conversationUrl: link.url,
      links: links.map(({ repository, ...view }) => {
        const outlook = reopenOutlook({ issueState: view.state, ...view.reopen }, rules.get(repository.id)!, helpdesk);
        return {
          ...view,
          url: `${this.deps.githubUrl}/${view.owner}/${view.name}/issues/${view.number}`,
          linkedAt: view.linkedAt.toISOString(),
          reopen: {
            state: outlook.state,
            text: outlook.text,
            ...("closedAt" in outlook ? { closedAt: outlook.closedAt.toISOString() } : {}),
          },
        };
      }),
      ...(createIn && { repositories: createIn }),
    };
  }

  async link(sidebar: SidebarFacts, claims: SidebarClaims, link: RecognisedLink, issueText: string) {
    const named = readNamedIssue(issueText, this.deps.githubHost);
    if ("problem" in named) throw new SidebarError(400, named.problem);
    const issue = await this.resolveIssue(named.owner, named.repo, named.number);
    if (!sidebar.proofCoversConversation) await this.deps.checkConversation(sidebar.helpdesk, link);
    const outcome = await linkFromSidebar(this.deps, issue, link, new Date());
    const where = `${issue.repository.owner}/${issue.repository.name}#${issue.number}`;
    this.deps.log.info(
      { provider: link.provider, conversationId: link.conversationId },
      `sidebar: ${claims.rep} in ${providerName(sidebar.helpdesk)} linked ${link.url} to ${where}${outcome.added > 0 ? "" : " (already linked)"}`,
    );
    if (outcome.changed) this.deps.labelsWanted();
    return { linked: where, added: outcome.added > 0 };
  }

  async unlink(sidebar: SidebarFacts, claims: SidebarClaims, link: RecognisedLink, issueText: string) {
    const named = readNamedIssue(issueText, this.deps.githubHost);
    if ("problem" in named) throw new SidebarError(400, named.problem);
    const target = await findIssueTarget(this.deps.prisma, `${named.owner}/${named.repo}`, named.number);
    if (target === null)
      throw new SidebarError(404, `${named.owner}/${named.repo}#${named.number} is not linked to this conversation`);
    // Named as GitHub spells the repository, as link and create name it, not as the rep typed it.
    const where = `${target.repository.owner}/${target.repository.name}#${named.number}`;
    const outcome = await unlinkFromHelpdesk(
      this.deps,
      { repositoryId: target.repository.id, number: named.number },
      link,
      new Date(),
    );
    if (!outcome.unlinked && outcome.reason === "not linked")
      throw new SidebarError(404, `${where} is not linked to this conversation`);
    if (!outcome.unlinked)
      throw new SidebarError(
        409,
        `${where} links this conversation from GitHub (${outcome.sources.join(", ")}): remove the URL there; the GitHub text is the source of truth`,
      );
    this.deps.log.info(
      { provider: link.provider, conversationId: link.conversationId },
      `sidebar: ${claims.rep} in ${providerName(sidebar.helpdesk)} unlinked ${link.url} from ${where}`,
    );
    this.deps.labelsWanted();
    return { unlinked: where };
  }

  async search(query: string): Promise<IssueHit[]> {
    return searchIssueTitles(this.deps.prisma, searchWords(query));
  }

  async create(
    sidebar: SidebarFacts,
    claims: SidebarClaims,
    link: RecognisedLink,
    input: { repository: string; title: string; body: string },
  ) {
    if (this.deps.repositories === null)
      throw new SidebarError(403, "creating issues from the sidebar is off: set CLOSELOOP_SIDEBAR_REPOSITORIES");
    const title = input.title.trim();
    if (title === "") throw new SidebarError(400, "the issue needs a title");
    if (title.length > 256) throw new SidebarError(400, "the title is longer than GitHub takes (256 characters)");
    if (input.body.length > 20_000) throw new SidebarError(400, "the description is longer than 20,000 characters");
    const [owner, name, extra] = input.repository.trim().split("/");
    if (!owner || !name || extra !== undefined) throw new SidebarError(400, "repository must be owner/repo");
    if (!mayCreateIn(this.deps.repositories, `${owner}/${name}`))
      throw new SidebarError(403, `${owner}/${name} is not one of CLOSELOOP_SIDEBAR_REPOSITORIES`);
    const repository = await this.resolveRepository(owner.toLowerCase(), name.toLowerCase());
    if (!sidebar.proofCoversConversation) await this.deps.checkConversation(sidebar.helpdesk, link);
    const body = createdIssueBody({
      body: input.body,
      conversationUrl: link.url,
      helpdesk: providerName(sidebar.helpdesk),
      rep: claims.rep,
    });
    const issue = await this.github(() => createIssue(this.deps.github, repository, { title, body }));
    await linkFromSidebar(this.deps, issue, link, new Date());
    const where = `${repository.owner}/${repository.name}#${issue.number}`;
    this.deps.log.info(
      { provider: link.provider, conversationId: link.conversationId },
      `sidebar: ${claims.rep} in ${providerName(sidebar.helpdesk)} created ${where} from ${link.url}`,
    );
    this.deps.labelsWanted();
    return {
      created: where,
      url: `${this.deps.githubUrl}/${repository.owner}/${repository.name}/issues/${issue.number}`,
    };
  }

  /** The issue as stored, else read from GitHub (its repository must be one the app is installed on). */
  private async resolveIssue(owner: string, repo: string, number: number) {
    const target = await findIssueTarget(this.deps.prisma, `${owner}/${repo}`, number);
    if (target?.issue) return { repository: target.repository, number, ...target.issue };
    const repository = target?.repository ?? (await this.resolveRepository(owner, repo));
    return this.github(() => readSidebarIssue(this.deps.github, repository, number));
  }

  private async resolveRepository(owner: string, repo: string): Promise<RepositoryRef> {
    const target = await findIssueTarget(this.deps.prisma, `${owner}/${repo}`, 0);
    if (target) return target.repository;
    return this.github(() => findSidebarRepository(this.deps.github, owner, repo));
  }

  /** GitHub's refusals become the rep's message; anything else (an outage) is a 502 that says to try again. */
  private async github<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof SidebarGithubError) throw new SidebarError(error.status, error.message);
      this.deps.log.warn({ err: error }, "sidebar: GitHub call failed");
      throw new SidebarError(502, "GitHub did not answer; try again in a minute");
    }
  }
}
