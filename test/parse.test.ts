import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadClassifier, loadParser, loadTagger, type Parser, type Tagger } from '../lib/index.js';
import { fixture, sampleTexts } from './helpers.js';

describe('word encoding', () => {
  it.each(['tiny-bert', 'tiny-mpnet', 'tiny-distilbert'])('%s: word-by-word ids equal whole-text ids', async (name) => {
    const clf = await loadClassifier(fixture(name));
    for (const text of [...sampleTexts, '', '   ', 'x\u200by tab\tnew\nline']) {
      const { windows, words } = clf.tokenizer.encodeWords(text, 'all');
      expect(windows).toHaveLength(1);
      expect(Array.from(windows[0].ids)).toEqual(Array.from(clf.tokenizer.encode(text).ids));
      expect(windows[0].firstTokens).toHaveLength(words.length);
    }
    await clf.dispose();
  });
});

describe('loadTagger / tagSlots', () => {
  let tagger: Tagger;
  beforeAll(async () => {
    tagger = await loadTagger(fixture('tiny-bert-tagger'), { maxTokens: 16 });
  });
  afterAll(() => tagger.dispose());

  it('returns spans whose offsets point into the original text', async () => {
    const text = 'Play Daft Punk on Spotify, please!';
    const { slots } = await tagger.tagSlots(text);
    for (const s of slots) {
      expect(text.slice(s.start, s.end)).toBe(s.value);
      expect(tagger.labels).toContain(`B-${s.slot}`);
      expect(s.score).toBeGreaterThan(0);
    }
  });

  it('tags text longer than the window window by window, every window in one batch', async () => {
    const text = Array.from({ length: 60 }, (_, i) => `word${i % 7} daft punk`).join(' ');
    const before = tagger.engine.stats().batches;
    const long = await tagger.tagSlots(text);
    expect(long.windows).toBeGreaterThan(5);
    expect(tagger.engine.stats().batches - before).toBeLessThan(long.windows);
    expect(long.slots.some((s) => s.start > text.length / 2)).toBe(true);
    for (const s of long.slots) expect(text.slice(s.start, s.end)).toBe(s.value);
    const [single] = await tagger.tagSlots([text]);
    expect(single.slots).toEqual(long.slots);
  });

  it('refuses a sequence classifier and bad input with typed errors', async () => {
    await expect(loadTagger(fixture('tiny-bert'))).rejects.toMatchObject({ code: 'ERR_MODEL_LOAD' });
    await expect(tagger.tagSlots(null as never)).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
    expect((await tagger.tagSlots('')).slots).toEqual([]);
  });
});

describe('loadParser / parse', () => {
  let joint: Parser<{ intent: 'sequence'; slots: 'token' }>;
  let consolidated: Parser<{ intent: 'sequence'; scenario: 'sequence' }>;
  beforeAll(async () => {
    joint = await loadParser(fixture('tiny-joint'));
    consolidated = await loadParser(fixture('tiny-consolidated'));
  });
  afterAll(async () => {
    await joint.dispose();
    await consolidated.dispose();
  });

  it('answers the intent head and the slot head from one model run', async () => {
    const text = 'play the new album by daft punk on spotify';
    const before = joint.engine.stats().requests;
    const r = await joint.parse(text);
    expect(joint.engine.stats().requests - before).toBe(1);
    expect(['PlayMusic', 'GetWeather', 'BookRestaurant']).toContain(r.intent.label);
    expect(r.intent.scores).toHaveLength(3);
    for (const s of r.slots) expect(text.slice(s.start, s.end)).toBe(s.value);
    expect(r.meta).toMatchObject({ truncated: false, tokens: expect.any(Number) });
  });

  it('answers two sequence heads from one run, with per-head thresholds', async () => {
    const before = consolidated.engine.stats().requests;
    const [r] = await consolidated.parse(['set an alarm for seven'], { threshold: { scenario: 1 } });
    expect(consolidated.engine.stats().requests - before).toBe(1);
    expect(r.intent.scores).toHaveLength(5);
    expect(r.intent.label).not.toBeNull();
    expect(r.scenario.label).toBeNull(); // abstained: no score reaches 1
    expect(r.scenario.scores).toHaveLength(3);
    await expect(consolidated.parse('x', { threshold: { nope: 0.5 } })).rejects.toThrow(/options.threshold.nope/);
  });

  it('truncates to one window and says so', async () => {
    const r = await joint.parse('word '.repeat(500));
    expect(r.meta.truncated).toBe(true);
    expect(r.meta.tokens).toBeLessThanOrEqual(joint.tokenizer.maxTokens);
  });

  it('a folder without heads is refused with a pointer to the convention', async () => {
    await expect(loadParser(fixture('tiny-bert'))).rejects.toThrow(/no "heads" list; see docs\/model-folders.md/);
  });
});

describe('parse: the slots head\'s decoding rules from config.json', () => {
  const text = 'weather in paris tomorrow and book a table for two at an italian restaurant in rome';
  let dir: string;
  /** tiny-joint with its slots head's config extended by `extra`. */
  const jointWith = (name: string, extra: Record<string, unknown>) => {
    const to = path.join(dir, name);
    mkdirSync(to);
    for (const f of readdirSync(fixture('tiny-joint'))) copyFileSync(path.join(fixture('tiny-joint'), f), path.join(to, f));
    const config = JSON.parse(readFileSync(path.join(to, 'config.json'), 'utf8'));
    config.heads[1] = { ...config.heads[1], ...extra };
    writeFileSync(path.join(to, 'config.json'), JSON.stringify(config));
    return to;
  };
  const parseWith = async (name: string, extra: Record<string, unknown>) => {
    const p = await loadParser<{ intent: 'sequence'; slots: 'token' }>(jointWith(name, extra));
    try {
      return await p.parse(text);
    } finally {
      await p.dispose();
    }
  };
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'slot-rules-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('slot_types_by: slots only of the types the predicted intent had in training', async () => {
    const free = await parseWith('free', {});
    const intent = free.intent.label!;
    const types = new Set(free.slots.map((s) => s.slot));
    expect(types.size).toBeGreaterThan(1); // random weights tag several types: the rule has something to remove
    const kept = [...types][0];
    const only = await parseWith('only', { slot_types_by: { intent: { [intent]: [kept] } } });
    expect(only.intent).toEqual(free.intent);
    expect(only.slots.length).toBeGreaterThan(0);
    expect(only.slots.every((s) => s.slot === kept)).toBe(true);
    expect((await parseWith('none', { slot_types_by: { intent: { [intent]: [] } } })).slots).toEqual([]);
    // Another intent's list does not apply.
    const other = ['PlayMusic', 'GetWeather', 'BookRestaurant'].find((l) => l !== intent)!;
    expect((await parseWith('other', { slot_types_by: { intent: { [other]: [] } } })).slots).toEqual(free.slots);
  });

  it('refuses rules that do not fit the heads', async () => {
    for (const [name, extra, message] of [
      ['bad-head', { slot_types_by: { scenario: {} } }, /slot_types_by.scenario: not a single-label sequence head/],
      ['bad-label', { slot_types_by: { intent: { Nope: [] } } }, /"Nope" is not one of its labels/],
      ['bad-type', { slot_types_by: { intent: { PlayMusic: ['city'] } } }, /slot_types_by.intent.PlayMusic must list slot types/],
      ['bad-adjacent', { adjacent_spans: 'artist' }, /heads\[1\].adjacent_spans must list slot types/],
    ] as const) {
      await expect(loadParser(jointWith(name, extra))).rejects.toMatchObject({ code: 'ERR_MODEL_LOAD', message: expect.stringMatching(message) });
    }
  });
});
