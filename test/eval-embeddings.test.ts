// `npm run eval -- embed | zeroshot | fewshot` end to end on the tiny embedder fixture and hand-made data folders.
// Accuracy is never asserted (random weights); the report's structure, the draws and the one-line errors are.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, runEval as run } from './helpers.js';

let tmp: string;


beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'eval-embed-'));
  const sst2 = path.join(tmp, 'sst2');
  mkdirSync(sst2, { recursive: true });
  const rows = (n: number) => Array.from({ length: n }, (_, i) => `${i % 2 ? 'a fine and lovely film' : 'a dull and boring film'} number ${i}\t${i % 2}`);
  writeFileSync(path.join(sst2, 'train.tsv'), ['sentence\tlabel', ...rows(12)].join('\n') + '\n');
  writeFileSync(path.join(sst2, 'dev.tsv'), ['sentence\tlabel', ...rows(6)].join('\n') + '\n');
  const ag = path.join(tmp, 'ag_news');
  mkdirSync(ag, { recursive: true });
  const agRows = Array.from({ length: 4012 }, (_, i) => `"${(i % 4) + 1}","Title ""${i}""","Some text\\about item ${i}"`);
  writeFileSync(path.join(ag, 'test.csv'), agRows.join('\n') + '\n');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('eval embed / zeroshot / fewshot', () => {
  it('embed: cosine to the reference and batched-vs-alone difference', async () => {
    const r = await run(['embed', '--model', fixture('tiny-embed'), '--reference', path.join(fixture('tiny-embed'), 'reference.json'), '--json', path.join(tmp, 'embed.json')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\| 8 \| 1\.0000000 \|/);
    const json = JSON.parse(readFileSync(path.join(tmp, 'embed.json'), 'utf8'));
    expect(json.cosine.min).toBeGreaterThan(0.99999);
    expect(json.batchedVsAloneMaxAbsDiff).toBeLessThan(1e-5);
  });

  it('zeroshot: one row per set against the anchor, and the fitted scale', async () => {
    const r = await run(['zeroshot', '--model', fixture('tiny-embed'), '--data', tmp, '--sets', 'sst2,agnews', '--fit-scale', '--limit', '20']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\| sst2 \| 6 \| [\d.]+ % \| [\d.]+ \| 69\.6 % \|/);
    expect(r.out).toMatch(/\| agnews \| 12 \| /);
    expect(r.out).toMatch(/Fitted on the example pools \(\d+ texts\): scale [\d.]+/);
  });

  it('fewshot: seeded draws (same examples every run), mean ± sd, and --dump', async () => {
    const dump = path.join(tmp, 'draws.json');
    const args = ['fewshot', '--model', fixture('tiny-embed'), '--data', tmp, '--sets', 'sst2', '--shots', '2', '--seeds', '2', '--dump', dump];
    const r = await run(args);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\| sst2 \| 6 \| [\d.]+ % ± [\d.]+ \|/);
    const first = JSON.parse(readFileSync(dump, 'utf8'));
    expect(first.sst2.examples).toHaveLength(2);
    expect(first.sst2.examples[0].filter((e: { label: string }) => e.label === 'positive')).toHaveLength(2);
    await run(args);
    expect(JSON.parse(readFileSync(dump, 'utf8')).sst2.examples).toEqual(first.sst2.examples);
  });

  it('reports bad arguments in one line', async () => {
    expect((await run(['zeroshot', '--model', fixture('tiny-embed'), '--data', tmp, '--sets', 'nope'])).err).toMatch(/unknown set 'nope'/);
    expect((await run(['embed', '--model', fixture('tiny-embed')])).err).toMatch(/--reference/);
    expect((await run(['fewshot', '--model', fixture('tiny-embed'), '--data', tmp, '--sets', 'sst2', '--shots', '50'])).err).toMatch(/fewer than --shots 50/);
    expect((await run(['zeroshot', '--model', fixture('tiny-bert'), '--data', tmp])).err).toMatch(/modules.json/);
  });
});
