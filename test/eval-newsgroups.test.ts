// `npm run eval -- 20ng` on tiny 20NG-shaped files written here, with tiny random fixtures relabelled as 20NG
// models. Accuracy is never asserted (random weights); counts, field mapping and the long-text path are.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../eval/cli.js';
import { deriveHeads, readDataset, stripPost } from '../datasets/index.js';
import { CATEGORIES, categoryOf, readNewsgroups } from '../eval/tasks/newsgroups.js';
import type { EvalResult } from '../eval/types.js';
import { fixture, fixturesDir } from './helpers.js';

// The label set of ../shared/data/20newsgroups/SOURCE.md.
const GROUPS = [
  'alt.atheism', 'comp.graphics', 'comp.os.ms-windows.misc', 'comp.sys.ibm.pc.hardware', 'comp.sys.mac.hardware', 'comp.windows.x',
  'misc.forsale', 'rec.autos', 'rec.motorcycles', 'rec.sport.baseball', 'rec.sport.hockey', 'sci.crypt', 'sci.electronics', 'sci.med',
  'sci.space', 'soc.religion.christian', 'talk.politics.guns', 'talk.politics.mideast', 'talk.politics.misc', 'talk.religion.misc',
];

const post = (body: string) =>
  `From: someone@example.edu (Some One)\nSubject: Re: a question\nOrganization: A University\nLines: 9\n\n` +
  `In article <1@example.edu> other@example.edu writes:\n> what about the quoted line?\n${body}\n\n--\nSome One, some signature\n`;

const USED = ['alt.atheism', 'comp.graphics', 'misc.forsale', 'rec.autos', 'sci.space'];
const rows = (split: string) =>
  USED.flatMap((group, g) => [0, 1].map((i) => ({ id: `${split}/${group}/${g * 10 + i}`, text: post(`the movie was good ${group} post ${i}`), label: group })));

let tmp: string;
const jsonlGz = (r: object[]) => gzipSync(r.map((x) => JSON.stringify(x)).join('\n') + '\n');

/** A copy of a fixture folder whose config.json gets `edit` applied (relabelled as a 20NG model). */
function relabel(name: string, as: string, edit: (config: Record<string, unknown>) => void): string {
  const dir = path.join(tmp, as);
  mkdirSync(dir);
  for (const f of ['model.onnx', 'tokenizer.json', 'tokenizer_config.json']) copyFileSync(path.join(fixture(name), f), path.join(dir, f));
  const config = JSON.parse(readFileSync(path.join(fixture(name), 'config.json'), 'utf8'));
  edit(config);
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}
const labelMap = (labels: string[]) => Object.fromEntries(labels.map((l, i) => [String(i), l]));

async function evalJson(args: string[]): Promise<EvalResult> {
  const out = path.join(tmp, `r-${Math.random()}.json`);
  const err: string[] = [];
  const code = await main(['20ng', ...args, '--data', tmp, '--latency-texts', '3', '--json', out], { out: () => {}, err: (t) => err.push(t) });
  expect(code, err.join('')).toBe(0);
  return JSON.parse(readFileSync(out, 'utf8'));
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'eval-20ng-'));
  mkdirSync(path.join(tmp, '20newsgroups'));
  writeFileSync(path.join(tmp, '20newsgroups', 'train.jsonl.gz'), jsonlGz(rows('train')));
  // One test post of about 1,000 tokens, for the long-document timing.
  const long = { id: 'test/sci.space/99', text: post('space '.repeat(990)), label: 'sci.space' };
  writeFileSync(path.join(tmp, '20newsgroups', 'test.jsonl.gz'), jsonlGz([...rows('test'), long]));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('20NG categories and stripping', () => {
  it('the 7 categories are the roots of all 20 groups, each used', () => {
    expect(new Set(GROUPS.map(categoryOf))).toEqual(new Set(CATEGORIES));
    expect(GROUPS.map(categoryOf).filter((c) => c === 'comp')).toHaveLength(5);
  });

  it("the recipes' category map is the same mapping, for all 20 groups, and derives 7 classes from them", () => {
    const recipe = (name: string) => JSON.parse(readFileSync(path.join(fixturesDir, '..', '..', 'recipes', `${name}.json`), 'utf8'));
    const all = path.join(tmp, 'all-groups.jsonl');
    writeFileSync(all, GROUPS.map((g, i) => JSON.stringify({ text: `post ${i}`, label: g })).join('\n'));
    for (const name of ['20ng-7class', '20ng-consolidated']) {
      const { derive } = recipe(name);
      expect(derive.category.map).toEqual(Object.fromEntries(GROUPS.map((g) => [g, categoryOf(g)])));
      const ds = deriveHeads(readDataset(all), derive);
      expect(ds.heads.find((h) => h.name === 'category')!.labels).toEqual([...CATEGORIES]);
      expect(ds.examples.map((e) => e.heads.category)).toEqual(GROUPS.map(categoryOf));
    }
    // A group the map lacks is an error naming it, not a silent eighth class.
    const { derive } = recipe('20ng-7class');
    delete derive.category.map['sci.med'];
    expect(() => deriveHeads(readDataset(all), derive)).toThrow(/no entry for 'label' label\(s\) sci\.med/);
  });

  it('strips headers, footers and quotes as sklearn does', () => {
    const text = post('the body line');
    expect(stripPost(text, [])).toBe(text);
    expect(stripPost(text, ['headers'])).not.toMatch(/^From:|Organization/m);
    expect(stripPost(text, ['footers'])).not.toMatch(/signature/);
    expect(stripPost(text, ['quotes'])).not.toMatch(/writes:|^>/m);
    expect(stripPost(text, ['headers', 'footers', 'quotes']).trim()).toBe('the body line');
  });

  it('reads a split in a seeded order that mixes the groups', () => {
    const file = path.join(tmp, '20newsgroups', 'train.jsonl.gz');
    const posts = readNewsgroups(file);
    expect(posts).toHaveLength(10);
    expect(posts[0].heads).toEqual({ group: expect.any(String), category: categoryOf(posts[0].heads.group as string) });
    expect(new Set(posts.slice(0, 5).map((p) => p.heads.group)).size).toBeGreaterThan(1);
    expect(readNewsgroups(file).map((p) => p.where)).toEqual(posts.map((p) => p.where));
    expect(readNewsgroups(file, ['headers'])[0].text).not.toMatch(/^From:/);
  });
});

describe('eval 20ng', () => {
  let groups: string;
  let categories: string;
  let consolidated: string;
  beforeAll(() => {
    groups = relabel('tiny-bert', 'groups-2', (c) => {
      c.id2label = labelMap(['comp.graphics', 'sci.space']);
      c.label2id = undefined;
    });
    categories = relabel('tiny-bert', 'categories-2', (c) => {
      c.id2label = labelMap(['comp', 'sci']);
      c.label2id = undefined;
    });
    consolidated = relabel('tiny-consolidated', 'consolidated', (c) => {
      const heads = c.heads as { name: string; id2label: Record<string, string> }[];
      const byName = Object.fromEntries(heads.map((h) => [h.name, h]));
      Object.assign(byName.intent, { name: 'category', id2label: labelMap(['alt', 'comp', 'misc', 'rec', 'sci']) });
      Object.assign(byName.scenario, { name: 'group', id2label: labelMap(['alt.atheism', 'comp.graphics', 'sci.space']) });
    });
  });

  it('a consolidated model vs a 20-class + 7-class pair, chunked, with the ~1,000-token timing', async () => {
    const r = await evalJson(['--model', consolidated, '--dual', `${groups},${categories}`, '--long', 'chunks', '--aggregate', 'max', '--strip', 'headers,footers,quotes']);
    expect(r.n).toBe(11);
    expect(r.classification.labels).toEqual(USED);
    const [one, two] = r.intentSlots!.systems;
    expect(two.name).toMatch(/^dual/);
    for (const s of [one, two]) {
      expect(Object.keys(s.accuracy).sort()).toEqual(['category', 'group']);
      expect(Object.keys(s.macroF1!).sort()).toEqual(['category', 'group']);
      expect(s.sentenceAccuracy).toBeLessThanOrEqual(Math.min(s.accuracy.group, s.accuracy.category));
      expect(s.throughput.n).toBe(11);
      expect(s.longDocs).toMatchObject({ n: 1, minTokens: 900, maxTokens: 1100 });
      expect(s.meanChunks).toBeGreaterThan(1); // the long post took several windows
    }
  });

  it('a 20-class model alone also answers the 7 categories, from its group scores', async () => {
    const r = await evalJson(['--model', groups, '--limit', '6']);
    const [s] = r.intentSlots!.systems;
    expect(s.name).toMatch(/category from group/);
    expect(Object.keys(s.accuracy).sort()).toEqual(['category', 'group']);
    expect(r.n).toBe(6);
  });

  it('a 7-class model alone answers the categories only; bad --strip is one line', async () => {
    const r = await evalJson(['--model', categories]);
    expect(Object.keys(r.intentSlots!.systems[0].accuracy)).toEqual(['category']);
    expect(r.classification.labels).toEqual(['alt', 'comp', 'misc', 'rec', 'sci']);
    const err: string[] = [];
    expect(await main(['20ng', '--model', categories, '--data', tmp, '--strip', 'bodies'], { out: () => {}, err: (t) => err.push(t) })).toBe(1);
    expect(err.join('')).toMatch(/--strip takes headers, footers, quotes/);
  });
});
