/**
 * Finds the links of a Markdown document and the anchors its headings get, the way GitHub renders
 * them, for the repository's link check (`links.test.ts`). Code (fenced blocks, inline code spans)
 * and HTML comments are not rendered as links, so they are skipped.
 */

/** A link target found in a Markdown document. */
export interface MarkdownLink {
  /** The target as written, e.g. `../README.md#install` or `https://example.com`. */
  readonly target: string;
  /** 1-based line of the link. */
  readonly line: number;
  /** How it was written. */
  readonly kind: 'inline' | 'reference' | 'autolink' | 'bare-url' | 'html';
}

/** Blanks out a match but keeps its newlines, so line numbers of what follows stay right. */
const blank = (text: string): string => text.replace(/[^\n]/g, ' ');

/** The document with fenced code blocks and HTML comments blanked out (headings keep their code spans). */
export function withoutCodeBlocks(markdown: string): string {
  const lines = markdown.split('\n');
  let fence: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const opening = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence === undefined) {
      if (opening) {
        fence = opening[1] as string;
        lines[i] = blank(line);
      }
      continue;
    }
    lines[i] = blank(line);
    const closing = new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    if (closing.test(line)) fence = undefined;
  }
  return lines.join('\n').replace(/<!--[\s\S]*?-->/g, blank);
}

/** The document with fenced code blocks, inline code spans and HTML comments blanked out. */
export function proseOf(markdown: string): string {
  return withoutCodeBlocks(markdown).replace(/(`+)(?!`)[\s\S]*?[^`]\1(?!`)/g, blank);
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Every link target of a Markdown document: inline links and images `[text](target)`, reference
 * definitions `[id]: target`, autolinks `<https://...>`, bare URLs (GitHub links them too) and
 * HTML `href`/`src` attributes. Code and HTML comments are skipped.
 * @example
 * markdownLinks('See [the design](docs/architecture.md#metrics).');
 * // [{ target: 'docs/architecture.md#metrics', line: 1, kind: 'inline' }]
 */
export function markdownLinks(markdown: string): MarkdownLink[] {
  const prose = proseOf(markdown);
  const links: Array<MarkdownLink & { index: number }> = [];
  const add = (target: string, index: number, kind: MarkdownLink['kind']): void => {
    links.push({ target, index, line: lineAt(prose, index), kind });
  };
  const taken: Array<[number, number]> = [];
  const take = (match: RegExpExecArray): void => {
    taken.push([match.index, match.index + match[0].length]);
  };

  const inline =
    /!?\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g;
  for (let m = inline.exec(prose); m !== null; m = inline.exec(prose)) {
    add((m[1] as string).replace(/^<|>$/g, ''), m.index, 'inline');
    take(m);
  }
  const reference = /^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/gm;
  for (let m = reference.exec(prose); m !== null; m = reference.exec(prose)) {
    add((m[1] as string).replace(/^<|>$/g, ''), m.index, 'reference');
    take(m);
  }
  const html = /\b(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)')/gi;
  for (let m = html.exec(prose); m !== null; m = html.exec(prose)) {
    add((m[1] ?? m[2]) as string, m.index, 'html');
    take(m);
  }
  const autolink = /<([a-z][a-z0-9+.-]*:[^\s<>]+)>/gi;
  for (let m = autolink.exec(prose); m !== null; m = autolink.exec(prose)) {
    add(m[1] as string, m.index, 'autolink');
    take(m);
  }
  const bare = /\b(?:https?:\/\/|www\.)[^\s<>()[\]`]+/gi;
  for (let m = bare.exec(prose); m !== null; m = bare.exec(prose)) {
    const at = m.index;
    if (taken.some(([start, end]) => at >= start && at < end)) continue;
    add(m[0].replace(/[.,;:!?'"*_]+$/, ''), at, 'bare-url');
  }
  return links.sort((a, b) => a.index - b.index).map(({ index: _index, ...link }) => link);
}

/**
 * The anchor GitHub gives a heading: the rendered text lowercased, punctuation removed (letters,
 * digits, `-`, `_` and spaces stay), each space turned into `-`.
 */
export function headingSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/(\*{1,3}|\b_{1,3}|_{1,3}\b)/g, '');
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

/**
 * Every anchor a link can name in this document: one per ATX heading (`## Title`; repeated
 * titles get `-1`, `-2`, ... as on GitHub) plus explicit HTML `id`/`name` attributes.
 * @example
 * headingAnchors('# Title\n## Data flow'); // Set { 'title', 'data-flow' }
 */
export function headingAnchors(markdown: string): Set<string> {
  const prose = withoutCodeBlocks(markdown);
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const attributes = proseOf(markdown).split('\n');
  for (const [index, line] of prose.split('\n').entries()) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
    if (heading) {
      const slug = headingSlug(heading[1] as string);
      const count = seen.get(slug) ?? 0;
      seen.set(slug, count + 1);
      anchors.add(count === 0 ? slug : `${slug}-${count}`);
    }
    for (const m of (attributes[index] ?? '').matchAll(/\b(?:id|name)\s*=\s*"([^"]+)"/g)) {
      anchors.add(m[1] as string);
    }
  }
  return anchors;
}
