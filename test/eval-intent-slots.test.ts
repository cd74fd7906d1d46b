// `npm run eval -- snips|massive` on the tiny random fixtures and hand-made data: one multi-head model against
// single-task models called together (--dual). Accuracy is never asserted (random weights); counts and consistency are.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../eval/cli.js';
import type { EvalResult } from '../eval/types.js';
import { fixture } from './helpers.js';

const snipsRows = [
  { text: 'play the new album by daft punk on spotify', tags: ['O', 'O', 'O', 'B-album', 'O', 'B-artist', 'I-artist', 'O', 'B-service'], intent: 'PlayMusic' },
  { text: 'will it rain in paris tomorrow', tags: ['O', 'O', 'O', 'O', 'O', 'O'], intent: 'GetWeather' },
  { text: 'book a table for two at luigi', tags: ['O', 'O', 'O', 'O', 'O', 'O', 'B-artist'], intent: 'BookRestaurant' },
];
const massiveRows = [
  { utt: 'set an alarm for seven', intent: 'alarm_set', scenario: 'alarm' },
  { utt: 'play some jazz', intent: 'play_music', scenario: 'music' },
  { utt: 'what is the weather like', intent: 'weather_query', scenario: 'weather' },
  { utt: 'remove my morning alarm', intent: 'alarm_remove', scenario: 'alarm' },
];

let tmp: string;
const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

async function evalJson(args: string[]): Promise<EvalResult> {
  const out = path.join(tmp, `${args[0]}-${Math.random()}.json`);
  const code = await main([...args, '--data', tmp, '--latency-texts', '2', '--json', out], { out: () => {}, err: () => {} });
  expect(code).toBe(0);
  return JSON.parse(readFileSync(out, 'utf8'));
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'eval-is-'));
  for (const [task, rows] of [['snips', snipsRows], ['massive', massiveRows]] as const) {
    mkdirSync(path.join(tmp, task));
    for (const split of ['train', 'test']) writeFileSync(path.join(tmp, task, `${split}.jsonl`), jsonl(rows));
  }
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('eval snips / massive', () => {
  it('snips: one joint model vs joint + tagger, scored on the same gold spans', async () => {
    const r = await evalJson(['snips', '--model', fixture('tiny-joint'), '--dual', `${fixture('tiny-joint')},${fixture('tiny-bert-tagger')}`]);
    expect(r.n).toBe(3);
    const [joint, dual] = r.intentSlots!.systems;
    expect(dual.name).toMatch(/^dual/);
    for (const s of [joint, dual]) {
      expect(s.slots!.gold).toBe(4); // by hand: album, artist, service + none + artist
      expect(s.accuracy.intent).toBeGreaterThanOrEqual(0);
      expect(s.sentenceAccuracy).toBeLessThanOrEqual(s.accuracy.intent);
      expect(s.throughput.n).toBe(3);
    }
    expect(r.classification.labels).toEqual(['BookRestaurant', 'GetWeather', 'PlayMusic']);
  });

  it('massive: both sequence heads from the consolidated model', async () => {
    const r = await evalJson(['massive', '--model', fixture('tiny-consolidated')]);
    const [system] = r.intentSlots!.systems;
    expect(Object.keys(system.accuracy).sort()).toEqual(['intent', 'scenario']);
    expect(system.slots).toBeUndefined();
    expect(system.sentenceAccuracy).toBeLessThanOrEqual(Math.min(system.accuracy.intent, system.accuracy.scenario));
  });

  it('refuses a dual set that cannot answer every field', async () => {
    const err: string[] = [];
    const code = await main(['snips', '--model', fixture('tiny-joint'), '--dual', fixture('tiny-bert-tagger'), '--data', tmp], { out: () => {}, err: (t) => err.push(t) });
    expect(code).toBe(1);
    expect(err.join('')).toMatch(/predicts intent/);
  });
});
