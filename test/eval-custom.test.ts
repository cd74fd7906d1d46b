// `npm run eval -- custom`: the user's own data files, in several formats, against the tiny random fixtures. The
// report is picked by the model's and the data's heads; accuracy is never asserted (random weights), structure
// and consistency with the data are.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../eval/cli.js';
import type { EvalResult } from '../eval/types.js';
import { fixture } from './helpers.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'eval-custom-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(name: string, content: string): string {
  const file = path.join(tmp, name);
  writeFileSync(file, content);
  return file;
}

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join(''), err: err.join('') };
}

/** Runs custom with --json and returns the result; the run must succeed. */
async function evaluate(data: string, model: string, ...flags: string[]): Promise<{ result: EvalResult; out: string; err: string }> {
  const json = path.join(tmp, `${path.basename(data)}-${path.basename(model)}.json`);
  const r = await run(['custom', '--data', data, '--model', fixture(model), '--latency-texts', '2', '--json', json, ...flags]);
  expect(r.err).not.toMatch(/^eval:/m);
  expect(r.code).toBe(0);
  return { result: JSON.parse(readFileSync(json, 'utf8')), out: r.out, err: r.err };
}

const joint = [
  { text: 'play daft punk on spotify', intent: 'PlayMusic', spans: [{ start: 5, end: 14, label: 'artist' }, { start: 18, end: 25, label: 'service' }] },
  { text: 'what is the weather tomorrow', intent: 'GetWeather', spans: [] },
  { text: 'book a table for two', intent: 'BookRestaurant', spans: [] },
  { text: 'play the album discovery', intent: 'playmusic', spans: [{ start: 15, end: 24, label: 'album' }] },
];

describe('eval custom', () => {
  it('single-label CSV: the sst2 report, data labels mapped to the model by name', async () => {
    const rows = ['a gorgeous , witty movie', 'awful and boring', 'charming journey', 'nothing works here', 'utterly delightful'];
    const gold = ['positive', 'negative', 'Positive', 'NEGATIVE', 'positive'];
    const data = write('reviews.csv', 'text,label\n' + rows.map((r, i) => `"${r}",${gold[i]}`).join('\n') + '\n');
    const { result, out } = await evaluate(data, 'tiny-bert');
    expect(result).toMatchObject({ task: 'custom', split: 'reviews.csv', n: 5 });
    const c = result.classification;
    expect(c.labels).toEqual(['NEGATIVE', 'POSITIVE']);
    expect(c.perClass.map((s) => s.support)).toEqual([2, 3]);
    expect(c.confusion.flat().reduce((a, b) => a + b, 0)).toBe(5);
    expect(c.accuracy).toBeCloseTo((c.confusion[0][0] + c.confusion[1][1]) / 5, 12);
    expect(c.aurocKind).toBe('binary');
    expect(result.data.files[0]).toEqual({ file: data, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(out).toMatch(/^## custom \/ reviews\.csv: tiny-bert/);
    for (const heading of ['### Per class', '### Confusion matrix', '### Accuracy vs coverage']) expect(out).toContain(heading);
  });

  it('JSONL intent + spans: the snips report (intent accuracy, slot F1 by exact span, sentence accuracy)', async () => {
    const data = write('nlu.jsonl', joint.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const { result, out } = await evaluate(data, 'tiny-joint');
    expect(result.n).toBe(4);
    const system = result.intentSlots!.systems[0];
    expect(Object.keys(system.accuracy)).toEqual(['intent']);
    expect(system.slots!.gold).toBe(3);
    expect(system.slots!.perType.artist.gold).toBe(1);
    expect(system.sentenceAccuracy).toBeLessThanOrEqual(system.accuracy.intent);
    expect(result.classification.perClass.find((s) => s.label === 'PlayMusic')!.support).toBe(2);
    expect(out).toContain('slot F1');
  });

  it('Rasa YAML: the same report from inline entity annotations', async () => {
    const data = write('nlu.yml', `nlu:
- intent: PlayMusic
  examples: |
    - play [daft punk](artist) on [spotify](service)
    - play the album [discovery]{"entity": "album"}
- intent: GetWeather
  examples: |
    - what is the weather tomorrow
`);
    const { result } = await evaluate(data, 'tiny-joint');
    expect(result.n).toBe(3);
    expect(result.intentSlots!.systems[0].slots!.gold).toBe(3);
  });

  it('two sequence heads (MASSIVE shape) against a consolidated model', async () => {
    const rows = [
      { id: '0', scenario: 'alarm', intent: 'alarm_set', utt: 'wake me up at five' },
      { id: '1', scenario: 'music', intent: 'play_music', utt: 'play some jazz' },
      { id: '2', scenario: 'weather', intent: 'weather_query', utt: 'is it raining' },
    ];
    const data = write('massive.jsonl', rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const { result } = await evaluate(data, 'tiny-consolidated');
    expect(Object.keys(result.intentSlots!.systems[0].accuracy)).toEqual(['intent', 'scenario']);
    expect(result.intentSlots!.systems[0].slots).toBeUndefined();
  });

  it('multi-label CSV: exact-match accuracy, per-label scores, co-occurrence', async () => {
    const data = write('topics.csv', 'text,labels\nthe match and the election,sports|politics\nnew phone review,tech\nflu season,health\nquiet day,\n');
    const { result, out } = await evaluate(data, 'tiny-bert-multilabel', '--label-delimiter', '|');
    const c = result.classification;
    expect(c).toMatchObject({ multiLabel: true, aurocKind: 'macro-labels', labels: ['sports', 'politics', 'tech', 'health'] });
    expect(c.perClass.map((s) => s.support)).toEqual([1, 1, 1, 1]);
    // At full coverage the kept examples are all of them, so its accuracy is the exact-match accuracy.
    expect(c.coverage[0]).toMatchObject({ target: 1, kept: 4 });
    expect(c.coverage[0].accuracy).toBeCloseTo(c.accuracy, 12);
    expect(out).toContain('accuracy (exact label set)');
    expect(out).toContain('### Label co-occurrence');
  });

  it.each([
    ['a label the model does not know', 'bad-label.csv', 'text,label\ngood,positive\nodd,neutral\n', 'tiny-bert', [], /bad-label\.csv:3: label 'neutral' of head 'label' is not a label of .*tiny-bert \(its labels: NEGATIVE, POSITIVE\)/],
    ['a slot the model does not know', 'bad-slot.jsonl', JSON.stringify({ text: 'play x', intent: 'PlayMusic', spans: [{ start: 5, end: 6, label: 'genre' }] }) + '\n', 'tiny-joint', [], /bad-slot\.jsonl:1: slot 'genre' is not a slot of/],
    ['a head the model lacks', 'heads.jsonl', '{"text": "a", "intent": "PlayMusic", "scenario": "music"}\n', 'tiny-joint', [], /head 'scenario' has no counterpart in .*\(model heads: intent, slots\)/],
    ['two heads for a one-head model', 'two.jsonl', '{"text": "a", "intent": "x", "scenario": "y"}\n', 'tiny-bert', [], /predicts one head; .*two\.jsonl has heads intent, scenario/],
    ['multi-label data for a single-label model', 'multi.csv', 'text,labels\na,positive|negative\n', 'tiny-bert', ['--label-delimiter', '|'], /is a single-label model; the custom data is multi-label/],
    ['bad data, as a DataError line', 'span.jsonl', '{"text": "play daftpunk", "intent": "PlayMusic", "spans": [{"start": 5, "end": 9, "label": "artist"}]}\n', 'tiny-joint', [], /span\.jsonl:1: span \[5, 9\) 'artist' "daft" does not start and end on whitespace-word boundaries/],
    ['an unknown format', 'x.csv', 'text,label\na,b\n', 'tiny-bert', ['--format', 'xml'], /unknown format 'xml'/],
  ])('%s', async (_, name, content, model, flags, message) => {
    const r = await run(['custom', '--data', write(name, content), '--model', fixture(model), '--latency-texts', '1', ...flags]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n').filter((l) => l.startsWith('eval:'))).toHaveLength(1);
  });

  it('keeps the data flags to the custom task', async () => {
    const r = await run(['sst2', '--model', fixture('tiny-bert'), '--text-column', 'x']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--text-column applies to the custom task only/);
  });

  it('needs --data', async () => {
    const r = await run(['custom', '--model', fixture('tiny-bert')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/custom: --data <file> is required/);
  });
});
