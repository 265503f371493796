import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { anchorOf, brokenLinks, quickstartsOf, ROOT, readmes, withQuickstarts } from './readmes.js';

const all = readmes();

describe('README quick starts are the files CI runs', () => {
  it('every quick-start block is its file, byte for byte (UPDATE_QUICKSTARTS=1 rewrites them)', () => {
    for (const readme of all) {
      let text = readFileSync(readme, 'utf8');
      if (process.env.UPDATE_QUICKSTARTS === '1' && withQuickstarts(text) !== text) {
        text = withQuickstarts(text);
        writeFileSync(readme, text);
      }
      for (const q of quickstartsOf(text)) {
        expect(q.text, `${relative(ROOT, readme)}: the block of ${q.file}`).toBe(
          readFileSync(join(ROOT, q.file), 'utf8'),
        );
      }
    }
  });

  it('every file of examples/quickstart is shown by a README', () => {
    const shown = new Set(all.flatMap((r) => quickstartsOf(readFileSync(r, 'utf8')).map((q) => q.file)));
    const files = readdirSync(join(ROOT, 'examples/quickstart')).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(shown, `examples/quickstart/${f}`).toContain(`examples/quickstart/${f}`);
  });

  it('the root, core, AI SDK, LangChain and MCP READMEs carry their quick starts', () => {
    const of = (readme: string) => quickstartsOf(readFileSync(join(ROOT, readme), 'utf8')).map((q) => q.file);
    expect(of('README.md')).toEqual([
      'examples/quickstart/ai-sdk.ts',
      'examples/quickstart/langchain.ts',
      'examples/quickstart/mcp.ts',
    ]);
    expect(of('packages/ai-sdk/README.md')).toContain('examples/quickstart/ai-sdk.ts');
    expect(of('packages/langchain/README.md')).toContain('examples/quickstart/langchain.ts');
    expect(of('packages/mcp/README.md')).toContain('examples/quickstart/mcp.ts');
    expect(of('packages/core/README.md')).toContain('examples/quickstart/governor.ts');
  });
});

describe('README links', () => {
  it('makes anchors as GitHub does', () => {
    expect(anchorOf('Shared adapter logic — one vocabulary')).toBe('shared-adapter-logic--one-vocabulary');
    expect(anchorOf('`governor demo`')).toBe('governor-demo');
    expect(anchorOf('Model calls — `governModel(model, options)` / `governorMiddleware(options)`')).toBe(
      'model-calls--governmodelmodel-options--governormiddlewareoptions',
    );
  });

  it('finds a link to a missing file and to a missing heading', () => {
    const dir = mkdtempSync(join(tmpdir(), 'governor-links-'));
    writeFileSync(join(dir, 'other.md'), '# Here\n');
    const readme = join(dir, 'README.md');
    writeFileSync(
      readme,
      '# A\n[ok](other.md#here) [gone](nope.md) [bad](other.md#there) [self](#a) `[x](code.md)`\n',
    );
    expect(brokenLinks(readme).map((b) => b.link)).toEqual(['nope.md', 'other.md#there']);
  });

  it('every relative link of every README names an existing file, and its #anchor a heading', () => {
    expect(all.length).toBeGreaterThan(10);
    expect(all.flatMap(brokenLinks)).toEqual([]);
  });
});
