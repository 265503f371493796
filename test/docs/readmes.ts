/**
 * The repository's READMEs, for the docs checks: every README, the quick-start
 * blocks they include from examples/quickstart/, and their relative links.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Every README.md of the tree, outside node_modules, dist and dot folders. */
export function readmes(dir = ROOT): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...readmes(path));
    else if (name === 'README.md') out.push(path);
  }
  return out.sort();
}

/** `<!-- quickstart: examples/quickstart/x.ts -->` then a fenced block then `<!-- /quickstart -->`. */
const QUICKSTART = /<!-- quickstart: (\S+) -->\n```(\w*)\n([\s\S]*?)```\n<!-- \/quickstart -->/g;

export interface Quickstart {
  /** The included file, relative to the repository root. */
  file: string;
  /** The block's text in the README. */
  text: string;
}

export function quickstartsOf(markdown: string): Quickstart[] {
  return [...markdown.matchAll(QUICKSTART)].map((m) => ({ file: m[1] as string, text: m[3] as string }));
}

/** The README with every quick-start block replaced by its file's current text. */
export function withQuickstarts(markdown: string): string {
  return markdown.replace(QUICKSTART, (_all, file: string, lang: string) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    return `<!-- quickstart: ${file} -->\n\`\`\`${lang}\n${text}\`\`\`\n<!-- /quickstart -->`;
  });
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .replace(/`/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a markdown file's headings (outside code fences), with GitHub's -1, -2 for repeats. */
export function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const m = !fenced && /^#{1,6}\s+(.*)$/.exec(line);
    if (!m) continue;
    const base = anchorOf(m[1] as string);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

export interface BrokenLink {
  readme: string;
  link: string;
  problem: string;
}

/** Relative links `[text](path#anchor)` of a README (outside code) that name no file or heading. */
export function brokenLinks(readme: string): BrokenLink[] {
  const markdown = readFileSync(readme, 'utf8')
    .replace(/```[\s\S]*?```/g, '')
    .replace(/`[^`\n]*`/g, '');
  const broken: BrokenLink[] = [];
  const where = relative(ROOT, readme);
  for (const m of markdown.matchAll(/\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const link = m[1] as string;
    if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto: …
    const [path = '', anchor] = link.split('#');
    const target = path === '' ? readme : resolve(dirname(readme), decodeURIComponent(path));
    if (!existsSync(target)) {
      broken.push({ readme: where, link, problem: `no file ${relative(ROOT, target)}` });
      continue;
    }
    if (
      anchor !== undefined &&
      target.endsWith('.md') &&
      !anchorsOf(readFileSync(target, 'utf8')).has(anchor)
    ) {
      broken.push({ readme: where, link, problem: `no heading #${anchor} in ${relative(ROOT, target)}` });
    }
  }
  return broken;
}
