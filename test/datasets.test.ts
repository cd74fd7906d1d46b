// The data readers: every format from tiny files written here, every bad-data case with its file and line, the
// split, the cross-file checks, and the real benchmark files in ../shared/data when present.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkCompatible,
  DataError,
  deriveHeads,
  parseAnnotations,
  readDataset,
  readOptionsFromFlags,
  requireTrainable,
  splitDataset,
  type Dataset,
  type ReadOptions,
  wordTags,
} from '../datasets/index.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'datasets-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let counter = 0;
function write(name: string, content: string | Buffer): string {
  const file = path.join(tmp, `${counter++}-${name}`);
  writeFileSync(file, content);
  return file;
}
const read = (name: string, content: string | Buffer, options?: ReadOptions) => readDataset(write(name, content), options);

/** The DataError a read throws: its code, line and message, with the file checked. */
function failure(name: string, content: string | Buffer, options?: ReadOptions) {
  const file = write(name, content);
  try {
    readDataset(file, options);
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    const e = err as DataError;
    expect(e.file).toBe(file);
    expect(e.message.startsWith(`${file}${e.line !== undefined ? `:${e.line}` : ''}: `)).toBe(true);
    expect(e.message).not.toContain('\n');
    return { code: e.code, line: e.line, message: e.message };
  }
  throw new Error(`${name} was read without an error`);
}

describe('CSV', () => {
  it('reads text and label columns with RFC 4180 quoting, keeping line numbers across quoted newlines', () => {
    const ds = read('a.csv', 'text,label\r\nhello there,greet\r\n"bye, now ""friend""",leave\r\n"two\nlines",greet\r\nlast one,leave\r\n');
    expect(ds.format).toBe('csv');
    expect(ds.examples.map((e) => e.text)).toEqual(['hello there', 'bye, now "friend"', 'two\nlines', 'last one']);
    expect(ds.examples.map((e) => e.where.split(':').at(-1))).toEqual(['2', '3', '4', '6']);
    expect(ds.heads).toEqual([{ name: 'label', kind: 'sequence', problemType: 'single_label_classification', labels: ['greet', 'leave'] }]);
    expect(ds.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('skips blank lines, keeping the numbering', () => {
    const ds = read('blank.csv', 'text,label\na,x\n   \n\nb,y\n');
    expect(ds.examples.map((e) => e.where.split(':').at(-1))).toEqual(['2', '5']);
  });

  it('names the head intent when the column is called intent, and finds other default columns', () => {
    const ds = read('b.csv', 'utterance,intent\nplay jazz,play\nstop it,stop\n');
    expect(ds.heads[0]).toMatchObject({ name: 'intent', labels: ['play', 'stop'] });
  });

  it('reads a delimited multi-label column and several 0/1 columns', () => {
    const delimited = read('c.csv', 'text,labels\nfun and sad,joy|sadness\njust fun,joy\nnothing,\n', { labelColumn: 'labels', labelDelimiter: '|' });
    expect(delimited.heads[0]).toMatchObject({ name: 'label', problemType: 'multi_label_classification', labels: ['joy', 'sadness'] });
    expect(delimited.examples.map((e) => e.heads.label)).toEqual([['joy', 'sadness'], ['joy'], []]);
    const columns = read('d.csv', 'text,joy,sadness\nfun and sad,1,1\njust fun,1,0\n', { labelColumns: ['joy', 'sadness'] });
    expect(columns.examples.map((e) => e.heads.label)).toEqual([['joy', 'sadness'], ['joy']]);
    expect(columns.heads[0].problemType).toBe('multi_label_classification');
  });

  it('reads a headerless file (AG News style) with column names, joined text columns and label names', () => {
    const ds = read('ag.csv', '"3","Stocks fall","Markets slid on Monday."\n"2","Cup final","A late goal won it."\n', {
      columns: ['label', 'title', 'description'],
      textColumn: 'title+description',
      labelNames: { 1: 'World', 2: 'Sports', 3: 'Business', 4: 'Sci/Tech' },
    });
    expect(ds.examples.map((e) => [e.text, e.heads.label, e.where.split(':').at(-1)])).toEqual([
      ['Stocks fall Markets slid on Monday.', 'Business', '1'],
      ['Cup final A late goal won it.', 'Sports', '2'],
    ]);
  });
});

describe('TSV and SST-2', () => {
  it('reads GLUE-style TSV: bare quotes are text', () => {
    const ds = read('a.tsv', 'sentence\tlabel\nhe said "wow\tpos\nit was "bad" . \tneg\n');
    expect(ds.format).toBe('tsv');
    expect(ds.examples.map((e) => e.text)).toEqual(['he said "wow', 'it was "bad" . ']);
  });

  it('recognises SST-2 by its header and 0/1 labels, naming them negative/positive', () => {
    const ds = read('dev.tsv', 'sentence\tlabel\na charming journey . \t1\nbleak and desperate \t0\n');
    expect(ds.format).toBe('sst2');
    expect(ds.examples.map((e) => e.heads.label)).toEqual(['positive', 'negative']);
  });
});

describe('JSONL', () => {
  it('reads text + label, labels (multi-label), intent with character spans', () => {
    const single = read('a.jsonl', '{"text": "great film", "label": "pos"}\n\n{"text": "awful", "label": "neg"}\n');
    expect(single.examples.map((e) => e.where.split(':').at(-1))).toEqual(['1', '3']);
    const multi = read('b.jsonl', '{"text": "x y", "labels": ["b", "a"]}\n{"text": "z", "labels": []}\n');
    expect(multi.examples[0].heads.label).toEqual(['a', 'b']);
    expect(multi.heads[0].problemType).toBe('multi_label_classification');
    const joint = read('c.jsonl', [
      JSON.stringify({ text: 'play Daft Punk on spotify', intent: 'play', spans: [{ start: 5, end: 14, label: 'artist' }, { start: 18, end: 25, label: 'service' }] }),
      JSON.stringify({ text: 'weather in Paris', intent: 'weather', spans: [{ start: 11, end: 16, label: 'city' }] }),
      JSON.stringify({ text: 'hello', intent: 'greet' }),
    ].join('\n'));
    expect(joint.heads).toEqual([
      { name: 'intent', kind: 'sequence', problemType: 'single_label_classification', labels: ['greet', 'play', 'weather'] },
      { name: 'slots', kind: 'token', labels: ['O', 'B-artist', 'I-artist', 'B-city', 'I-city', 'B-service', 'I-service'] },
    ]);
    expect(joint.examples[2].spans).toEqual([]);
  });

  it('reads SNIPS BIO words as character spans in the joined text', () => {
    const row = { text: 'add sabrina salerno to my  playlist', tokens: [], tags: ['O', 'B-artist', 'I-artist', 'O', 'B-owner', 'O'], intent: 'Add' };
    row.tokens = row.text.split(/\s+/) as never;
    const ds = read('snips.jsonl', JSON.stringify(row) + '\n' + JSON.stringify({ ...row, intent: 'Other' }) + '\n');
    expect(ds.format).toBe('snips');
    expect(ds.examples[0].spans!.map((s) => [row.text.slice(s.start, s.end), s.label])).toEqual([['sabrina salerno', 'artist'], ['my', 'owner']]);
  });

  it('gives one BIO tag per whitespace word, the units the engine tags', () => {
    const text = 'play  Daft Punk on\tspotify';
    expect(wordTags(text, [{ start: 6, end: 15, label: 'artist' }, { start: 19, end: 26, label: 'service' }])).toEqual(['O', 'B-artist', 'I-artist', 'O', 'B-service']);
  });

  it('reads MASSIVE as heads intent and scenario', () => {
    const ds = read('m.jsonl', '{"id": "0", "scenario": "alarm", "intent": "alarm_set", "utt": "wake me up"}\n{"id": "1", "scenario": "audio", "intent": "audio_volume_mute", "utt": "quiet"}\n');
    expect(ds.format).toBe('massive');
    expect(ds.heads.map((h) => [h.name, h.labels])).toEqual([['intent', ['alarm_set', 'audio_volume_mute']], ['scenario', ['alarm', 'audio']]]);
  });

  it('reads MASSIVE annot_utt slots when the file has them', () => {
    const row = { scenario: 'alarm', intent: 'alarm_set', utt: 'wake me up at five am this week', annot_utt: 'wake me up at [time : five am] [date : this week]' };
    const ds = read('full.jsonl', JSON.stringify(row) + '\n');
    expect(ds.examples[0].spans!.map((s) => [row.utt.slice(s.start, s.end), s.label])).toEqual([['five am', 'time'], ['this week', 'date']]);
    const e = failure('bad.jsonl', JSON.stringify({ ...row, utt: 'wake me up' }) + '\n');
    expect(e).toMatchObject({ code: 'DATA_INVALID', line: 1 });
  });

  it('reads a gzipped file, by the extension under .gz', () => {
    const ds = read('a.jsonl.gz', gzipSync('{"text": "a", "label": "x"}\n{"text": "b", "label": "y"}\n'));
    expect(ds.examples.map((e) => e.heads.label)).toEqual(['x', 'y']);
  });

  it('reads a .json array with each record at its own line', () => {
    const ds = read('a.json', '[\n  {"text": "a b", "label": "x"},\n  {"text": "[c] {d}",\n   "label": "y"}\n]\n');
    expect(ds.examples.map((e) => e.where.split(':').at(-1))).toEqual(['2', '3']);
  });
});

describe('Rasa NLU YAML', () => {
  const rasa = `version: "3.1"
nlu:
- intent: play_music
  examples: |
    - play [Daft Punk](artist) on [spotify](service)
    - put on [the new album]{"entity": "album", "role": "latest"} by [beyonce](artist:Beyoncé)

    - play something
- synonym: Beyoncé
  examples: |
    - beyonce
- intent: greet
  examples: |
    - hi there
- regex: zipcode
  examples: |
    - [0-9]{5}
`;

  it('strips annotations, puts spans on the stripped text and keeps each example line', () => {
    const ds = read('nlu.yml', rasa);
    expect(ds.format).toBe('rasa');
    expect(ds.examples.map((e) => [e.text, e.heads.intent, e.where.split(':').at(-1)])).toEqual([
      ['play Daft Punk on spotify', 'play_music', '5'],
      ['put on the new album by beyonce', 'play_music', '6'],
      ['play something', 'play_music', '8'],
      ['hi there', 'greet', '14'],
    ]);
    const spans = ds.examples[1].spans!.map((s) => [ds.examples[1].text.slice(s.start, s.end), s.label]);
    expect(spans).toEqual([['the new album', 'album'], ['beyonce', 'artist']]);
    expect(ds.heads.map((h) => h.name)).toEqual(['intent', 'slots']);
    expect(ds.warnings.join('\n')).toMatch(/skipped 1 'synonym' item.*\n.*skipped 1 'regex' item/);
  });

  it('round-trips: annotating the spans again gives back the example', () => {
    for (const example of ['play [Daft Punk](artist) on [spotify](service)', '[tomorrow](date) in [new york city](city)', 'no entities here']) {
      const { text, spans } = parseAnnotations(example, 'x', 1);
      let again = text;
      for (const s of [...spans].reverse()) again = `${again.slice(0, s.start)}[${again.slice(s.start, s.end)}](${s.label})${again.slice(s.end)}`;
      expect(again).toBe(example);
    }
  });

  it('reads examples given as a list of strings or text: maps, each at its line', () => {
    const ds = read('list.yml', 'nlu:\n- intent: a\n  examples:\n  - text: "book [paris](city)"\n    metadata: {sentiment: neutral}\n  - hello\n- intent: b\n  examples: |\n    - bye\n');
    expect(ds.examples.map((e) => [e.text, e.where.split(':').at(-1)])).toEqual([['book paris', '4'], ['hello', '6'], ['bye', '9']]);
    expect(ds.examples[0].spans).toEqual([{ start: 5, end: 10, label: 'city' }]);
  });

  it('has no token head when no example annotates an entity', () => {
    const ds = read('plain.yaml', 'nlu:\n- intent: a\n  examples: |\n    - one\n- intent: b\n  examples: |\n    - two\n');
    expect(ds.heads.map((h) => h.kind)).toEqual(['sequence']);
    expect(ds.examples[0].spans).toBeUndefined();
  });
});

describe('bad data: one DataError naming the file and line', () => {
  it.each([
    ['missing text column', 'x.csv', 'words,label\na,b\n', undefined, 'DATA_INVALID', 1, /no text column/],
    ['missing named column', 'x.csv', 'text,label\na,b\n', { labelColumn: 'intent' }, 'DATA_INVALID', 1, /no column 'intent'/],
    ['wrong cell count', 'x.csv', 'text,label\na,b\nc\n', undefined, 'DATA_FORMAT', 3, /expected 2 cells/],
    ['unclosed quote', 'x.csv', 'text,label\na,b\n"c,d\n', undefined, 'DATA_FORMAT', 3, /never closed/],
    ['empty text', 'x.csv', 'text,label\na,b\n  ,c\n', undefined, 'DATA_INVALID', 3, /empty text/],
    ['empty label', 'x.jsonl', '{"text": "a", "label": "x"}\n{"text": "b", "label": ""}\n', undefined, 'DATA_INVALID', 2, /empty 'label' label/],
    ['missing label', 'x.jsonl', '{"text": "a", "label": "x"}\n{"text": "b"}\n', undefined, 'DATA_INVALID', 2, /no 'label'/],
    ['no labels at all', 'x.jsonl', '{"text": "a"}\n', undefined, 'DATA_INVALID', 1, /no labels/],
    ['unknown label type', 'x.jsonl', '{"text": "a", "label": "x"}\n{"text": "b", "label": {"name": "y"}}\n', undefined, 'DATA_INVALID', 2, /must be a string, a number or a list/],
    ['bad JSON', 'x.jsonl', '{"text": "a", "label": "x"}\n{"text": \n', undefined, 'DATA_FORMAT', 2, /not valid JSON/],
    ['span outside the text', 'x.jsonl', '{"text": "play it", "intent": "p", "spans": [{"start": 5, "end": 9, "label": "x"}]}\n', undefined, 'DATA_INVALID', 1, /outside the text/],
    ['span off word boundaries', 'x.jsonl', '{"text": "play it", "intent": "p"}\n{"text": "play daftpunk", "intent": "p", "spans": [{"start": 5, "end": 9, "label": "artist"}]}\n', undefined, 'DATA_INVALID', 2, /"daft" does not start and end on whitespace-word boundaries/],
    ['overlapping spans', 'x.jsonl', '{"text": "new york city", "intent": "p", "spans": [{"start": 0, "end": 8, "label": "a"}, {"start": 4, "end": 13, "label": "b"}]}\n', undefined, 'DATA_INVALID', 1, /overlaps span \[0, 8\)/],
    ['Rasa entity inside a word', 'x.yml', 'nlu:\n- intent: a\n  examples: |\n    - hi\n    - play [Daft Punk](artist)\'s songs\n', undefined, 'DATA_INVALID', 5, /"Daft Punk" does not start and end/],
    ['Rasa line without a dash', 'x.yml', 'nlu:\n- intent: a\n  examples: |\n    - hi\n    hello\n', undefined, 'DATA_FORMAT', 5, /must start with '- '/],
    ['Rasa bad entity JSON', 'x.yml', 'nlu:\n- intent: a\n  examples: |\n    - [x]{"entity": }\n', undefined, 'DATA_FORMAT', 4, /not valid JSON/],
    ['Rasa bad YAML', 'x.yml', 'nlu:\n- intent: a\n  examples: |\n    - hi\n  - : :\n bad\n', undefined, 'DATA_FORMAT', 5, /not valid YAML/],
    ['Rasa without nlu', 'x.yml', 'stories:\n- story: x\n', undefined, 'DATA_FORMAT', 1, /no 'nlu:' list/],
    ['SNIPS without tags', 'x.jsonl', '{"text": "a b", "intent": "i", "tags": ["O", "O"]}\n{"text": "c", "intent": "i", "tags": "O"}\n', undefined, 'DATA_INVALID', 2, /'tags' must be a list of BIO strings/],
    ['SNIPS tag count', 'x.jsonl', '{"text": "a b", "tokens": ["a", "b"], "tags": ["O"], "intent": "i"}\n', undefined, 'DATA_INVALID', 1, /1 tags for 2 whitespace words/],
    ['SST-2 label not 0/1', 'x.tsv', 'sentence\tlabel\ngood\t1\nbad\t7\n', { format: 'sst2' }, 'DATA_INVALID', 3, /label "7" is not in the label names/],
    ['0/1 column with another value', 'x.csv', 'text,a,b\nhi,1,2\n', { labelColumns: ['a', 'b'] }, 'DATA_INVALID', 2, /must be 0 or 1/],
    ['empty file', 'x.csv', '', undefined, 'DATA_EMPTY', undefined, /empty/],
    ['blank file', 'x.jsonl', '\n \n', undefined, 'DATA_EMPTY', undefined, /empty/],
    ['header only', 'x.csv', 'text,label\n', undefined, 'DATA_EMPTY', undefined, /no examples/],
    ['unknown extension', 'x.txt', 'a;b\n', undefined, 'DATA_FORMAT', undefined, /cannot tell the format/],
    ['a .json that is not an array', 'x.json', '{"train": [["hi", "greet"]]}', undefined, 'DATA_FORMAT', undefined, /must be an array of records/],
    ['a JSON line that is not an object', 'x.jsonl', '{"text": "a", "label": "x"}\n["b", "y"]\n', undefined, 'DATA_FORMAT', 2, /must be a JSON object/],
    ['spans that are not a list', 'x.jsonl', '{"text": "a", "label": "x", "spans": {"start": 0}}\n', undefined, 'DATA_INVALID', 1, /'spans' must be a list/],
  ] as const)('%s', (_, name, content, options, code, line, message) => {
    const e = failure(name, content, options as ReadOptions | undefined);
    expect(e.code).toBe(code);
    expect(e.line).toBe(line);
    expect(e.message).toMatch(message);
  });

  it('rejects invalid UTF-8 at its line instead of reading mojibake', () => {
    const bytes = Buffer.concat([Buffer.from('text,label\ncafé,a\ncaf'), Buffer.from([0xe9]), Buffer.from(',b\n')]);
    const e = failure('latin1.csv', bytes);
    expect(e).toMatchObject({ code: 'DATA_ENCODING', line: 3 });
    expect(e.message).toMatch(/not valid UTF-8 \(byte 0xe9/);
  });

  it('finds an encoded UTF-16 surrogate too', () => {
    const bytes = Buffer.concat([Buffer.from('text,label\nok,a\nbad'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(',b\n')]);
    expect(failure('surrogate.csv', bytes)).toMatchObject({ code: 'DATA_ENCODING', line: 3 });
  });

  it('strips a UTF-8 byte order mark', () => {
    const ds = read('bom.csv', '\ufefftext,label\nhi,a\nho,b\n');
    expect(ds.examples[0].text).toBe('hi');
  });

  it('names a missing file', () => {
    expect(() => readDataset(path.join(tmp, 'nope.csv'))).toThrow(/nope\.csv: cannot read: ENOENT/);
  });

  it('warns about duplicate rows and keeps the first (or all, for benchmarks)', () => {
    const content = 'text,label\na,x\nb,y\na,x\na,x\nb,x\n';
    const ds = read('dup.csv', content);
    expect(ds.examples.map((e) => e.where.split(':').at(-1))).toEqual(['2', '3', '6']);
    expect(ds.warnings).toHaveLength(2);
    expect(ds.warnings[0]).toMatch(/dropped 2 duplicate rows, kept the first of each \(first: line 4 repeats line 2\)/);
    expect(ds.warnings[1]).toMatch(/1 text repeat with other labels/);
    expect(read('dup.csv', content, { duplicates: 'keep' }).examples).toHaveLength(5);
  });
});

describe('command-line flags', () => {
  it('turn into read options: lists, label names as pairs or a file of names', () => {
    const names = write('names.txt', 'World\nSports\n');
    expect(readOptionsFromFlags({ format: 'csv', 'label-columns': 'a, b', columns: 'x,y', 'label-names': '1=World,2=Sci/Tech' })).toEqual({
      format: 'csv', labelColumns: ['a', 'b'], columns: ['x', 'y'], labelNames: { 1: 'World', 2: 'Sci/Tech' },
    });
    expect(readOptionsFromFlags({ 'label-names': names }).labelNames).toEqual({ 0: 'World', 1: 'Sports' });
    expect(() => readOptionsFromFlags({ 'label-names': 'World' })).toThrow(/raw=name pairs or a file of names/);
  });
});

describe('checks across files and the split', () => {
  const csv = (rows: string[][]) => 'text,label\n' + rows.map((r) => r.join(',')).join('\n') + '\n';

  it('requires two classes in train', () => {
    expect(() => requireTrainable(read('one.csv', csv([['a', 'x'], ['b', 'x']])))).toThrow(/head 'label' has a single class \(x\)/);
  });

  it('rejects a dev label unseen in train, naming the dev line, and other heads', () => {
    const train = read('train.csv', csv([['a', 'x'], ['b', 'y']]));
    const dev = read('dev.csv', csv([['c', 'x'], ['d', 'z']]));
    try {
      checkCompatible(train, dev);
      throw new Error('accepted');
    } catch (err) {
      expect(err).toMatchObject({ code: 'DATA_INCOMPATIBLE', file: dev.file, line: 3 });
      expect((err as Error).message).toMatch(/label 'z' of head 'label' never occurs in/);
    }
    const other = read('other.jsonl', '{"text": "a", "intent": "x"}\n');
    expect(() => checkCompatible(train, other)).toThrow(/its heads intent \(sequence\) differ/);
    expect(() => checkCompatible(train, read('ok.csv', csv([['e', 'y']])))).not.toThrow();
  });

  it('rejects a test entity unseen in train', () => {
    const train = read('t.jsonl', '{"text": "play x", "intent": "p", "spans": [{"start": 5, "end": 6, "label": "song"}]}\n');
    const test = read('u.jsonl', '{"text": "play y", "intent": "p", "spans": [{"start": 5, "end": 6, "label": "artist"}]}\n');
    expect(() => checkCompatible(train, test)).toThrow(/entity 'artist' of head 'slots' never occurs/);
  });

  it('splits by unique text, deterministically, stratified by label', () => {
    const rows = Array.from({ length: 200 }, (_, i) => [`text ${i % 150}`, i % 150 < 30 ? 'rare' : 'common']);
    const ds: Dataset = read('split.csv', csv(rows), { duplicates: 'keep' });
    const a = splitDataset(ds, { seed: 7, dev: 0.2, test: 15 });
    const b = splitDataset(ds, { seed: 7, dev: 0.2, test: 15 });
    const c = splitDataset(ds, { seed: 8, dev: 0.2, test: 15 });
    const texts = (d?: Dataset) => new Set(d?.examples.map((e) => e.text));
    expect([...texts(a.dev)]).toEqual([...texts(b.dev)]);
    expect([...texts(a.dev)]).not.toEqual([...texts(c.dev)]);
    expect(texts(a.dev).size).toBe(30);
    expect(texts(a.test).size).toBe(15);
    for (const [x, y] of [[a.train, a.dev], [a.train, a.test], [a.dev, a.test]] as const) {
      expect([...texts(x)].filter((t) => texts(y).has(t))).toEqual([]);
    }
    expect(a.sizes.train + a.sizes.dev + a.sizes.test).toBe(200);
    expect(new Set(a.dev.examples.filter((e) => e.heads.label === 'rare').map((e) => e.text)).size).toBe(6); // 30 texts * 20 %
    expect(() => splitDataset(ds, { seed: 1, dev: 100, test: 50 })).toThrow(/cannot hold out/);
  });
});

const shared = path.resolve(__dirname, '../../shared/data');
describe.skipIf(!existsSync(shared))('the benchmark files in ../shared/data', () => {
  it('SST-2 dev: 872 sentences, negative/positive', () => {
    const ds = readDataset(path.join(shared, 'sst2/dev.tsv'));
    expect(ds.format).toBe('sst2');
    expect(ds.examples).toHaveLength(872);
    expect(ds.heads).toEqual([{ name: 'label', kind: 'sequence', problemType: 'single_label_classification', labels: ['negative', 'positive'] }]);
    expect(ds.examples.filter((e) => e.heads.label === 'positive')).toHaveLength(444);
  });

  it('SNIPS test: 700 utterances, 7 intents, spans that give back the BIO tags', () => {
    const file = path.join(shared, 'snips/test.jsonl');
    const ds = readDataset(file, { duplicates: 'keep' });
    expect(ds.format).toBe('snips');
    expect(ds.examples).toHaveLength(700);
    expect(ds.heads[0].labels).toHaveLength(7);
    const raw = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { tags: string[] });
    ds.examples.forEach((e, i) => expect(wordTags(e.text, e.spans!)).toEqual(raw[i].tags));
  });

  it('MASSIVE test: 2,974 utterances, intent and scenario', () => {
    const ds = readDataset(path.join(shared, 'massive/test.jsonl'), { duplicates: 'keep' });
    expect(ds.format).toBe('massive');
    expect(ds.examples).toHaveLength(2974);
    expect(ds.heads.map((h) => [h.name, h.labels.length])).toEqual([['intent', 59], ['scenario', 18]]);
  });

  it('20 Newsgroups test (gzipped JSONL): 7,532 posts, 20 groups', () => {
    const ds = readDataset(path.join(shared, '20newsgroups/test.jsonl.gz'), { duplicates: 'keep' });
    expect(ds.examples).toHaveLength(7532);
    expect(ds.heads[0].labels).toHaveLength(20);
  });

  it('GoEmotions dev (headerless TSV, multi-label ids) and AG News test (headerless CSV)', () => {
    const names = readFileSync(path.join(shared, 'goemotions/emotions.txt'), 'utf8').split('\n');
    const go = readDataset(path.join(shared, 'goemotions/dev.tsv'), {
      columns: ['text', 'labels', 'id'], labelColumn: 'labels', labelDelimiter: ',', labelNames: Object.fromEntries(names.map((n, i) => [i, n])), duplicates: 'keep',
    });
    expect(go.examples).toHaveLength(5426);
    expect(go.heads[0]).toMatchObject({ problemType: 'multi_label_classification', labels: expect.arrayContaining(['neutral', 'joy']) });
    const ag = readDataset(path.join(shared, 'ag_news/test.csv'), { columns: ['label', 'title', 'description'], textColumn: 'title+description', labelNames: { 1: 'World', 2: 'Sports', 3: 'Business', 4: 'Sci/Tech' } });
    expect(ag.examples).toHaveLength(7600);
  });
});

describe('derived heads and stripped posts', () => {
  const rows = [['a post about hockey', 'rec.sport.hockey'], ['a post about space', 'sci.space'], ['a post about cars', 'rec.autos']];
  const jsonl = rows.map(([text, label]) => JSON.stringify({ text: `From: x@y.edu\nSubject: hi\n\n${text}\n> quoted line\n`, label })).join('\n');

  it('derives a mapped head and a renamed copy; an unmapped label or a missing source head is an error', () => {
    const ds = deriveHeads(read('posts.jsonl', jsonl), { group: { from: 'label' }, category: { from: 'label', map: { 'rec.sport.hockey': 'rec', 'sci.space': 'sci', 'rec.autos': 'rec' } } });
    expect(ds.heads.map((h) => `${h.name}:${h.labels.join('|')}`)).toEqual(['label:rec.autos|rec.sport.hockey|sci.space', 'group:rec.autos|rec.sport.hockey|sci.space', 'category:rec|sci']);
    expect(ds.examples.map((e) => [e.heads.group, e.heads.category])).toEqual([['rec.sport.hockey', 'rec'], ['sci.space', 'sci'], ['rec.autos', 'rec']]);
    expect(() => deriveHeads(ds, { c2: { from: 'label', map: { 'sci.space': 'sci' } } })).toThrow(/no entry for 'label' label\(s\) rec\.autos, rec\.sport\.hockey/);
    expect(() => deriveHeads(ds, { c3: { from: 'topic' } })).toThrow(/not a single-label head of the data/);
    expect(() => deriveHeads(ds, { label: { from: 'group' } })).toThrow(/already exists/);
  });

  it('strips headers and quotes from gzipped posts; texts left empty are dropped with a warning', () => {
    const ds = read('posts.jsonl.gz', gzipSync(`${jsonl}\n${JSON.stringify({ text: 'From: only@headers.edu\nSubject: nothing else', label: 'sci.space' })}\n`), { strip: ['headers', 'quotes'] });
    expect(ds.examples.map((e) => e.text.trim())).toEqual(rows.map(([text]) => text));
    expect(ds.warnings.join('\n')).toMatch(/dropped 1 text\(s\) left empty by --strip headers,quotes/);
    expect(failure('spans.jsonl', JSON.stringify({ text: 'fly to rome', intent: 'fly', spans: [{ start: 7, end: 11, label: 'city' }] }), { strip: ['quotes'] }).code).toBe('DATA_INCOMPATIBLE');
  });
});
