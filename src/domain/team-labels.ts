import type { RepoConfig } from "../config/repo-config.js";

/**
 * Team labels (docs/labels.md, Team labels) from the linked conversations' helpdesk team and tags, per `teams` in the repository config:
 *
 * - the assigned team counts when `from` has `team`; a tag counts when `from` has `tags`, or when `map` names it
 *   (a mapped tag counts even without `tags` in `from`);
 * - a name found in `map` becomes the mapped label (exact key first, else a key equal ignoring case and surrounding
 *   spaces); several names may map to one label;
 * - any other name becomes `prefix` + the lower-cased name, unless `only_mapped` is true, where it is ignored;
 * - every label is then sanitised (`sanitiseLabelName`), and dropped when nothing usable is left;
 * - a team label that is spelled like one of the frequency labels is dropped: those follow their own rule.
 *
 * GitHub label names are case-insensitive, so the result holds each name once, ignoring case (the first spelling wins).
 */

export type TeamRules = RepoConfig["teams"];

export interface ConversationTeam {
  team: string | null;
  tags: readonly string[];
}

/** GitHub's limit for a label name, counted in characters (Unicode code points). */
export const LABEL_NAME_MAX = 50;

export function teamLabels(
  conversations: readonly ConversationTeam[],
  rules: TeamRules,
  reserved: readonly string[] = [],
): string[] {
  const mapped = mapLookup(rules.map);
  const taken = new Set(reserved.map(labelKey));
  const labels = new Map<string, string>();
  const consider = (name: string, counts: boolean) => {
    const target = mapped(name);
    let label: string | null;
    if (target !== undefined) label = target;
    else if (!counts || rules.only_mapped) return;
    else label = `${rules.prefix}${name.trim().toLowerCase()}`;
    const clean = sanitiseLabelName(label);
    if (clean === null || taken.has(labelKey(clean)) || labels.has(labelKey(clean))) return;
    labels.set(labelKey(clean), clean);
  };
  for (const conversation of conversations) {
    if (conversation.team !== null && conversation.team.trim() !== "" && rules.from.includes("team"))
      consider(conversation.team, true);
    for (const tag of conversation.tags) if (tag.trim() !== "") consider(tag, rules.from.includes("tags"));
  }
  return [...labels.values()];
}

function mapLookup(map: Record<string, string>): (name: string) => string | undefined {
  const folded = new Map<string, string>();
  for (const [key, label] of Object.entries(map)) {
    const fold = key.trim().toLowerCase();
    if (!folded.has(fold)) folded.set(fold, label);
  }
  return (name) => (Object.hasOwn(map, name) ? map[name] : folded.get(name.trim().toLowerCase()));
}

/** How GitHub compares label names: ignoring case. */
export function labelKey(name: string): string {
  return name.toLowerCase();
}

// Control characters (line breaks, tabs, NUL…), Unicode line/paragraph separators, and format characters that
// are invisible except the zero-width joiner emoji sequences need.
const CONTROL = /[\p{Cc}\u2028\u2029\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/gu;
// Parts of emoji: pictographs, modifiers, joiners, variation selectors, keycaps, regional indicators, tag sequences.
const EMOJI_PART =
  // eslint-disable-next-line no-misleading-character-class -- a list of code points, each matched on its own (u flag), not a sequence
  /[\p{Extended_Pictographic}\p{Emoji_Modifier}\p{Regional_Indicator}\u200d\ufe0e\ufe0f\u20e3\u{e0020}-\u{e007f}]/gu;

/**
 * Makes a helpdesk-derived name acceptable as a GitHub label name, or returns null when nothing usable is left.
 *
 * GitHub answers 422 for a name that is empty or only spaces, longer than 50 characters, or made only of emoji
 * ("name must contain more than native emoji"); line breaks and other control characters are not accepted either.
 * Commas are legal in a label name, but every tool that takes label lists as text (`gh --label a,b`, Actions
 * inputs, `label:` search) splits on them, so closeloop turns them into spaces. So, in order:
 *
 * 1. Unicode NFC normalisation (the same name typed on two systems gives one label);
 * 2. control and invisible format characters, and commas, become spaces; runs of white space become one space;
 * 3. leading and trailing spaces are trimmed;
 * 4. cut to 50 characters (code points, never half a surrogate pair), trimmed again;
 * 5. null when empty or when only emoji and spaces are left.
 *
 * Emoji with text are kept ("team: 🔥 on call"). Case is left alone (unmapped names are lower-cased before).
 */
export function sanitiseLabelName(name: string): string | null {
  const cleaned = name.normalize("NFC").replace(CONTROL, " ").replace(/,/g, " ").replace(/\s+/gu, " ").trim();
  const cut = [...cleaned].slice(0, LABEL_NAME_MAX).join("").trim();
  if (cut === "" || cut.replace(EMOJI_PART, "").trim() === "") return null;
  return cut;
}
