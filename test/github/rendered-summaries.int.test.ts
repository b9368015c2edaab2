/// <reference lib="dom" />
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { marked } from 'marked';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderGateSummary } from '../../src/github/gate-summary.js';
import { renderRolloutSummary } from '../../src/github/rollout-summary.js';
import { renderPlan } from '../../src/terraform/render.js';
import { hasSharedFixtures, repoRoot, sharedFixtures } from '../support/shared-fixtures.js';
import { destroyPlan, gateReport, rolloutReport } from './summary-reports.js';

// Debian's chromium, never a browser a tool downloads (scripts/install-test-servers.sh installs it).
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(repoRoot, '.artifacts', 'summaries');
const MERMAID = join(repoRoot, 'node_modules/mermaid/dist/mermaid.min.js');

interface ChartCheck {
  index: number;
  error?: string;
  marks: number;
  offAxis: string[];
}

/**
 * Renders each summary as GitHub does: GFM to HTML (marked, GitHub-flavoured),
 * then every ```mermaid block parsed and drawn by the real mermaid package in
 * headless Chromium. Fails on a parse error, a chart with nothing drawn, or
 * a bar or line outside its axis; keeps a PNG of each page for a person.
 */
describe.skipIf(!existsSync(CHROMIUM))('summaries rendered as GitHub renders them', () => {
  let server: Server;
  let base: string;
  let context: BrowserContext;
  const pages = new Map<string, string>();
  const profile = mkdtempSync(join(tmpdir(), 'glidepath-chromium-'));

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? '/';
      if (path === '/mermaid.min.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(readFileSync(MERMAID));
        return;
      }
      const page = pages.get(path.slice(1));
      res.writeHead(page ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page ?? 'not found');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1100, height: 900 },
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await new Promise((r) => server?.close(r));
    rmSync(profile, { recursive: true, force: true });
  });

  async function render(name: string, markdown: string): Promise<ChartCheck[]> {
    const body = await marked.parse(markdown, { gfm: true });
    // GitHub turns a ```mermaid block into a rendered diagram. Not class "mermaid": mermaid would
    // draw those by itself on load (startOnLoad), racing the checks below.
    const html = body.replace(
      /<pre><code class="language-mermaid">([\s\S]*?)<\/code><\/pre>/g,
      '<pre class="gfm-mermaid">$1</pre>',
    );
    pages.set(
      name,
      `<!doctype html><html><head><meta charset="utf-8"><title>${name}</title>
<style>body{font-family:-apple-system,"Segoe UI",sans-serif;max-width:1000px;margin:16px}table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:4px 8px}</style>
<script src="/mermaid.min.js"></script></head><body>${html}</body></html>`,
    );
    const page = await context.newPage();
    try {
      await page.goto(`${base}/${name}`);
      const checks = await page.evaluate(async () => {
        const m = (
          window as unknown as {
            mermaid: {
              initialize(o: object): void;
              parse(t: string): Promise<unknown>;
              render(id: string, t: string): Promise<{ svg: string }>;
            };
          }
        ).mermaid;
        m.initialize({ startOnLoad: false });
        const results: { index: number; error?: string; marks: number; offAxis: string[] }[] = [];
        const blocks = [...document.querySelectorAll('pre.gfm-mermaid')];
        // Read every block's text before drawing any: drawing changes the DOM.
        const texts = blocks.map((b) => b.textContent ?? '');
        for (const [index, block] of blocks.entries()) {
          const text = texts[index] ?? '';
          try {
            await m.parse(text);
            const { svg } = await m.render(`chart-${index}`, text);
            block.outerHTML = `<div class="chart" id="c${index}">${svg}</div>`;
          } catch (e: unknown) {
            results.push({ index, error: String(e), marks: 0, offAxis: [] });
            continue;
          }
          const root = document.querySelector(`#c${index} svg`) as SVGSVGElement;
          const plot = [...root.querySelectorAll('g.plot rect, g.plot path')] as SVGGraphicsElement[];
          const drawn = plot.filter((el) => {
            const box = el.getBBox();
            return box.width > 0 || box.height > 0;
          });
          // The y axis line spans the axis range: every bar and line must stay within it.
          const axis = root.querySelector('g.left-axis path, g.left-axis line') as SVGGraphicsElement | null;
          const offAxis: string[] = [];
          if (axis) {
            const a = axis.getBoundingClientRect();
            for (const el of drawn) {
              const b = el.getBoundingClientRect();
              if (b.top < a.top - 1.5 || b.bottom > a.bottom + 1.5)
                offAxis.push(
                  `${el.tagName} ${Math.round(b.top)}–${Math.round(b.bottom)} outside ${Math.round(a.top)}–${Math.round(a.bottom)}`,
                );
            }
          } else {
            offAxis.push('no y axis drawn');
          }
          results.push({ index, marks: drawn.length, offAxis });
        }
        return results;
      });
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
      writeFileSync(join(ARTIFACTS, `${name}.md`), markdown);
      return checks;
    } finally {
      await page.close();
    }
  }

  function expectCharts(checks: ChartCheck[], atLeast: number) {
    expect(checks.length, 'charts in the summary').toBeGreaterThanOrEqual(atLeast);
    for (const check of checks) {
      expect(check.error, `chart ${check.index} parses`).toBeUndefined();
      expect(check.marks, `chart ${check.index} draws something`).toBeGreaterThan(0);
      expect(check.offAxis, `chart ${check.index} stays on its axis`).toEqual([]);
    }
  }

  // The checker itself: each fault it exists to catch, caught.
  it('catches a Mermaid parse error, an empty chart and a series off its axis', async () => {
    const block = (body: string) => ['```mermaid', body, '```', ''].join('\n');
    const checks = await render(
      'checker-faults',
      [
        block('xychart-beta\n  x-axis ["a", "b"]\n  y-axis "percent" 0 --> 100\n  line [1, 2,'),
        block('xychart-beta\n  x-axis ["a", "b"]\n  y-axis "percent" 0 --> 100'),
        block('xychart-beta\n  x-axis ["a", "b"]\n  y-axis "percent" 0 --> 1\n  line [0.5, 250]'),
      ].join('\n'),
    );
    expect(checks[0]?.error).toBeDefined();
    // mermaid either refuses a chart without data or draws nothing: both fail expectCharts.
    expect(checks[1]?.error !== undefined || checks[1]?.marks === 0, JSON.stringify(checks[1])).toBe(true);
    expect(checks[2]?.error).toBeUndefined();
    expect(checks[2]?.offAxis.length).toBeGreaterThan(0);
  }, 120_000);

  it('a promoted rollout: weight over time, error rates, the sequential test and latency, all drawn', async () => {
    const markdown = renderRolloutSummary(await rolloutReport('promoted'));
    expectCharts(await render('rollout-promoted', markdown), 4);
    expect(markdown).toMatch(/\*\*Sequential test:\*\* the canary fails no more often than the primary/);
    expect(markdown).toMatch(/\d+ \/ [\d,]+ requests failed \([\d.]+ %\)/);
    expect(markdown).not.toMatch(/advanced-early|\d{2}:\d{2}:\d{2}\.\d{3}Z/);
  }, 120_000);

  it('a rollout rolled back at step 1 still charts its one step and the evidence that decided', async () => {
    const markdown = renderRolloutSummary(await rolloutReport('rolled-back-step-1'));
    expectCharts(await render('rollout-rolled-back-step-1', markdown), 3);
    expect(markdown).toMatch(/the canary fails more often than the primary/);
    expect(markdown).toContain('Error rate (%): canary against the primary');
  }, 120_000);

  it('a rollout rolled back on no data draws the weight only, and says no check returned data', async () => {
    const markdown = renderRolloutSummary(await rolloutReport('no-data'));
    expectCharts(await render('rollout-no-data', markdown), 1);
    expect(markdown).toContain('no check returned data');
    expect(markdown).toContain('❔ no data until the deadline');
  }, 120_000);

  for (const kind of ['pass', 'warn', 'fail'] as const) {
    it(`a gate that would ${kind}: numbers with units, no raw floats`, async () => {
      const report = await gateReport(kind);
      expect(report.result).toBe(kind);
      const markdown = renderGateSummary(report);
      expectCharts(await render(`gate-${kind}`, markdown), 0);
      expect(markdown).toContain('9.82 ms');
      expect(markdown).toContain('1,234');
      expect(markdown).not.toMatch(/0\.0\d{5,}|\d{2}:\d{2}:\d{2}\.\d{3}Z/);
    }, 120_000);
  }

  it.skipIf(!hasSharedFixtures)(
    'a plan with destroys renders as GFM with its warning first',
    async () => {
      const { markdown: body } = renderPlan(destroyPlan(sharedFixtures), {
        title: 'Terraform plan: `infra/prod`',
      });
      expectCharts(await render('plan-with-destroys', body), 0);
      expect(body).toMatch(/\[!WARNING\][\s\S]*destructive change/);
    },
    120_000,
  );
});
