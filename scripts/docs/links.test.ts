import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { headingAnchors, headingSlug, markdownLinks } from './markdownLinks.js';

/*
 * Someone who clones the repository has only what is in it: every link of the Markdown files
 * (READMEs, docs, CONTRIBUTING, changesets) and every document reference in source comments must
 * resolve inside it.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** This file, whose examples name missing files and outside documents on purpose. */
const SELF = relative(ROOT, fileURLToPath(import.meta.url));

/**
 * Web addresses a Markdown link may point at (prefixes). Empty on purpose: name a dependency in
 * code (`p-retry`) instead of linking its home page; examples belong in code blocks.
 */
const ALLOWED_URL_PREFIXES: readonly string[] = [];

/** Files a fresh clone has: tracked ones plus new ones not ignored (so a commit is checked too). */
function repositoryFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  // A file deleted in the work tree but still in the index is not there for a link.
  const deleted = new Set(
    execFileSync('git', ['ls-files', '--deleted', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0'),
  );
  return listed.split('\0').filter((file) => file !== '' && !deleted.has(file));
}

const files = repositoryFiles();
const fileSet = new Set(files);
const directories = new Set<string>(['']);
for (const file of files) {
  for (let dir = dirname(file); dir !== '.' && !directories.has(dir); dir = dirname(dir))
    directories.add(dir);
}
const markdownFiles = files.filter((file) => file.endsWith('.md'));
const anchorCache = new Map<string, Set<string>>();
const anchorsOf = (file: string): Set<string> => {
  let anchors = anchorCache.get(file);
  if (anchors === undefined) {
    anchors = headingAnchors(readFileSync(join(ROOT, file), 'utf8'));
    anchorCache.set(file, anchors);
  }
  return anchors;
};

/** What is wrong with a link target written in `file`; undefined when it resolves inside the repository. */
function problemOf(file: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//') || /^www\./i.test(target)) {
    return ALLOWED_URL_PREFIXES.some((prefix) => target.startsWith(prefix))
      ? undefined
      : 'leaves the repository (link to a file or heading inside it instead)';
  }
  const hash = target.indexOf('#');
  const pathPart = (hash === -1 ? target : target.slice(0, hash)).replace(/\?.*$/, '');
  const fragment = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1)).toLowerCase();
  let resolved = file;
  if (pathPart !== '') {
    const decoded = decodeURIComponent(pathPart);
    const absolute = decoded.startsWith('/') ? join(ROOT, decoded) : join(ROOT, dirname(file), decoded);
    const inside = relative(ROOT, absolute);
    if (inside.startsWith('..') || isAbsolute(inside)) return 'resolves outside the repository';
    resolved = normalize(inside).replace(/\/+$/, '');
    if (resolved === '.') resolved = '';
    if (!fileSet.has(resolved) && !directories.has(resolved)) return `${resolved} is not in the repository`;
  }
  if (fragment !== undefined && fragment !== '' && resolved.endsWith('.md') && fileSet.has(resolved)) {
    if (!anchorsOf(resolved).has(fragment)) return `${resolved} has no heading with the anchor #${fragment}`;
  }
  return undefined;
}

describe('markdownLinks', () => {
  it('finds inline links, images, reference definitions, autolinks, bare URLs and HTML attributes with their lines', () => {
    const markdown = [
      'See [the design](docs/architecture.md#metrics) and ![logo](img/logo.png "Logo").',
      '[ref]: ../outside.md',
      'Mail <mailto:team@example.com> or read https://example.com/page.',
      '<a href="https://example.org">x</a>',
    ].join('\n');
    expect(markdownLinks(markdown)).toEqual([
      { target: 'docs/architecture.md#metrics', line: 1, kind: 'inline' },
      { target: 'img/logo.png', line: 1, kind: 'inline' },
      { target: '../outside.md', line: 2, kind: 'reference' },
      { target: 'mailto:team@example.com', line: 3, kind: 'autolink' },
      { target: 'https://example.com/page', line: 3, kind: 'bare-url' },
      { target: 'https://example.org', line: 4, kind: 'html' },
    ]);
  });

  it('ignores links inside fenced code blocks, inline code and HTML comments', () => {
    const markdown = [
      '```sh',
      'curl https://example.com/install.sh',
      '[not](a-link.md)',
      '```',
      'Run `open https://example.com` or `[x](y.md)`. <!-- [hidden](gone.md) -->',
      '~~~',
      '[also not](b.md)',
      '~~~',
      '[real](c.md)',
    ].join('\n');
    expect(markdownLinks(markdown)).toEqual([{ target: 'c.md', line: 9, kind: 'inline' }]);
  });
});

describe('headingAnchors', () => {
  it('gives every heading the anchor GitHub gives it, numbering repeated titles', () => {
    const markdown = [
      '# Architecture',
      '## Stage 1: aggregate, exactly once',
      '### D9. Tombstone rows for low-stock removals',
      '## `parseProductEvent(value, options?)`',
      '## Notes',
      '## Notes',
      '```',
      '## not a heading',
      '```',
      '<a name="custom-anchor"></a>',
    ].join('\n');
    expect([...headingAnchors(markdown)]).toEqual([
      'architecture',
      'stage-1-aggregate-exactly-once',
      'd9-tombstone-rows-for-low-stock-removals',
      'parseproducteventvalue-options',
      'notes',
      'notes-1',
      'custom-anchor',
    ]);
  });

  it('keeps letters, digits, hyphens and underscores of a heading and drops link syntax and emphasis', () => {
    expect(headingSlug('Where the code differs from the **original** brief')).toBe(
      'where-the-code-differs-from-the-original-brief',
    );
    expect(headingSlug('The [event contract](x.md) of snake_case ids')).toBe(
      'the-event-contract-of-snake_case-ids',
    );
  });
});

describe('links in the repository', () => {
  it('lists the Markdown files it checks (the root README among them)', () => {
    expect(markdownFiles).toContain('README.md');
    expect(markdownFiles).toContain('docs/architecture.md');
  });

  it('flags links that leave the repository, name missing files or missing headings', () => {
    expect(problemOf('README.md', '../shared/design.md')).toBe('resolves outside the repository');
    expect(problemOf('README.md', 'https://github.com/changesets/changesets')).toMatch(
      /leaves the repository/,
    );
    expect(problemOf('README.md', 'docs/no-such-file.md')).toBe(
      'docs/no-such-file.md is not in the repository',
    );
    expect(problemOf('README.md', 'docs/architecture.md#no-such-heading')).toMatch(/has no heading/);
    expect(problemOf('docs/architecture.md', '../packages/retry/README.md')).toBeUndefined();
    expect(problemOf('docs/architecture.md', '#metrics')).toBeUndefined();
    expect(problemOf('README.md', 'packages/retry')).toBeUndefined();
  });

  it('every Markdown link resolves to a file, folder or heading inside the repository', () => {
    const problems: string[] = [];
    for (const file of markdownFiles) {
      for (const link of markdownLinks(readFileSync(join(ROOT, file), 'utf8'))) {
        const problem = problemOf(file, link.target);
        if (problem !== undefined) problems.push(`${file}:${link.line}: ${link.target}: ${problem}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('source comments and docs point at sections of docs/ that exist, never at documents outside the repository', () => {
    const problems: string[] = [];
    // The design brief the project started from lives outside the repository; docs/architecture.md
    // replaced it, so references to its sections or to the shared folder are dead for a reader.
    const outside = /\.\.\/shared\/|ARCHITECTURE(?:\.md)?\s*(?:§|section\s+\d)/g;
    const docReference = /\bdocs\/([\w./-]+\.md)#([\w-]+)/g;
    for (const file of files) {
      if (file === 'pnpm-lock.yaml' || file === SELF) continue;
      const text = readFileSync(join(ROOT, file), 'utf8');
      if (text.includes('\0')) continue;
      const lines = text.split('\n');
      for (const [index, line] of lines.entries()) {
        for (const m of line.matchAll(outside)) {
          problems.push(`${file}:${index + 1}: "${m[0]}" names a document outside the repository`);
        }
        for (const m of line.matchAll(docReference)) {
          const problem = problemOf('README.md', `docs/${m[1]}#${m[2]}`);
          if (problem !== undefined) problems.push(`${file}:${index + 1}: ${m[0]}: ${problem}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
