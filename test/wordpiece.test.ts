// The native WordPiece tokenizer (lib/wordpiece.ts, native/wordpiece.cc) against the JS one it must match id for id:
// every SST-2 dev text and a set of tricky strings, for every committed model's tokenizer and the fixtures'.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TEXTS } from '../bench/workloads.js';
import { loadClassifier } from '../lib/index.js';
import { readModelDir, type ModelDir } from '../lib/model-dir.js';
import { binding } from '../lib/binding.js';
import { longPlan } from '../lib/postprocess/chunks.js';
import { packageRoot } from '../lib/package-root.js';
import { TextTokenizer } from '../lib/tokenize.js';
import { nativeWordPiece, wordPieceSetup } from '../lib/wordpiece.js';
import { splitWords } from '../lib/words.js';
import { fixture, fixturesDir, sampleTexts } from './helpers.js';

const folders = (root: string) => readdirSync(root).map((n) => path.join(root, n)).filter((d) => existsSync(path.join(d, 'tokenizer.json')));
const tokenizerDirs = [...folders(path.join(packageRoot, 'models')), ...folders(fixturesDir)];

const sst2 = existsSync(DEFAULT_TEXTS)
  ? readFileSync(DEFAULT_TEXTS, 'utf8').split('\n').slice(1).filter(Boolean).map((l) => l.split('\t')[0])
  : [];

const long = (n: number) => 'x'.repeat(n);
const tricky = [
  '', ' ', '   \t\n  ', '\t', '\n\r\n', '.', '...', '!?!?', '--- *** ///', '$100.00, 50% off!!! (really?)', '"quoted" \'single\'',
  'a.b,c;d:e', '[CLS]', '[SEP] x', 'a [MASK] b', '[unk]', '<s> hi </s>', '<unk>', '<mask> x', '[ PAD ]', '[P\u0001AD]',
  '12345 6.78 9,000 0x1F 3rd 1st', 'UPPER lower MiXeD', 'AbCdEfGhIjKlMnOpQrStUvWxYz',
  'tab\there\vvertical\fform\rreturn', 'ctrl\u0000nul\u0001soh\u001funit\u007fdel', '\u0000\u0001\u0002',
  long(100), long(101), `${long(100)} ok ${long(150)} fine`, 'unaffable unbelievably antidisestablishmentarianism',
  'qqqqzzzz xqzj ##ing ##', '@user #hashtag http://example.com/a?b=c&d=e user@mail.org', '~`^|\\{}<>=+_',
  // Non-ASCII: the JS tokenizer answers (accents, Unicode case, CJK, emoji, Unicode spaces and punctuation).
  'café naïve résumé', 'ÉCOLE Straße', '東京タワー 北京', '🎬🍿 great 👍🏽', 'a\u00a0b\u2003c\u3000d', '«quoted» — dash… ¿qué?',
  'zero\u200bwidth\ufeffbom', 'ﬁne ligature', 'Ǆ title', '\ud83d lone surrogate'.toWellFormed(),
  // Over the window, to be cut (truncate true) or refused (false).
  'word '.repeat(400), 'good '.repeat(2000), `${'a '.repeat(300)}${long(120)}`, `${long(120)} `.repeat(200), long(5000),
  `${'great movie . '.repeat(100)}`, `${'x'.repeat(64 * 8 - 3)} and more words after the cut`,
];
const texts = [...sampleTexts, ...tricky, ...sst2];
const isAscii = (t: string) => /^[\x00-\x7f]*$/.test(t);

function withTokenizer(model: ModelDir, patch: Record<string, unknown>): ModelDir {
  return { ...model, tokenizerJson: { ...(model.tokenizerJson as object), ...patch } };
}

describe('native WordPiece tokenizer', () => {
  it('finds the SST-2 dev texts it is checked on', () => {
    expect(sst2.length === 0 || sst2.length >= 800).toBe(true);
  });

  for (const dir of tokenizerDirs) {
    it(`gives the JS tokenizer's ids and truncation: ${path.relative(packageRoot, dir)}`, () => {
      const model = readModelDir(dir);
      const js = new TextTokenizer(model);
      const native = nativeWordPiece(model, js);
      expect(native, 'a BERT WordPiece tokenizer.json is supported').toBeDefined();
      let answered = 0;
      for (const limit of [js.maxTokens, 16, 3]) {
        for (const text of texts) {
          for (const truncate of [true, false]) {
            const got = native!.encode(text, limit, truncate);
            let want: { ids: number[]; truncated: boolean } | 'too long';
            try {
              const e = js.encode(text, truncate, limit);
              want = { ids: Array.from(e.ids), truncated: e.truncated };
            } catch (err) {
              expect(err).toMatchObject({ code: 'ERR_INPUT_TOO_LONG' });
              want = 'too long';
            }
            if (got === null) {
              // Only non-ASCII text, an added token's text, or a refused over-long text go back to the JS tokenizer.
              const addedText = /\[(cls|sep|mask|unk|pad)\]|<\/?s>|<unk>|<mask>|<pad>|\[p\u0001ad\]/i.test(text);
              expect({ text, limit, truncate, reason: !isAscii(text) || addedText || want === 'too long' }).toMatchObject({ reason: true });
              continue;
            }
            answered++;
            expect({ text, limit, truncate, ids: Array.from(got.ids), truncated: got.truncated }).toEqual({ text, limit, truncate, ...(want as object) });
          }
        }
      }
      // Most texts are answered natively (SST-2 dev is ASCII but for a handful), so the comparison above bites.
      expect(answered).toBeGreaterThan(texts.filter(isAscii).length);
    });
  }

  it('gives parse its word pieces and long texts their chunks as the JS tokenizer does', () => {
    const model = readModelDir(fixture('tiny-bert'));
    const js = new TextTokenizer(model);
    const withNative = new TextTokenizer(model, undefined, nativeWordPiece);
    expect(withNative.hasNative).toBe(true);
    // One native call per block of words for ASCII text; the JS tokenizer (word by word) for the rest.
    const native = nativeWordPiece(model, js)!;
    const words = (t: string) => splitWords(t);
    expect(native.encodeWords!('book a table for two', words('book a table for two'), 8)).toEqual(
      words('book a table for two').map((w) => Array.from(js.encode('book a table for two'.slice(w.start, w.end), true).ids.slice(1, -1))));
    expect(native.encodeWords!('café au lait', words('café au lait'), 8)).toBeNull();
    expect(native.encodeWords!('a [SEP] b', words('a [SEP] b'), 8)).toBeNull();
    const raw = new binding.WordPiece({ ...wordPieceSetup(model, js)!, status: new Int32Array(1) });
    expect(() => raw.encodeWords('abc', Int32Array.from([0, 9]), 8)).toThrow(RangeError);
    expect(() => raw.encodeWords('abc', Int32Array.from([0, 3]), 0)).toThrow(TypeError);
    const some = [...sampleTexts, ...tricky, ...sst2.slice(0, 200), sst2.slice(0, 40).join(' ')];
    for (const plan of [longPlan({}, js.maxTokens, js.specialTokens), longPlan({ long: 'chunks', window: 16, stride: 5 }, js.maxTokens, js.specialTokens),
      longPlan({ long: 'head-tail', window: 24 }, js.maxTokens, js.specialTokens)]) {
      for (const text of some) {
        expect([plan, text, withNative.encodeWords(text, 'all', plan.budget)]).toEqual([plan, text, js.encodeWords(text, 'all', plan.budget)]);
        expect([plan, text, withNative.encodeWords(text, 'first', plan.budget)]).toEqual([plan, text, js.encodeWords(text, 'first', plan.budget)]);
        if (plan.mode === 'truncate') continue;
        expect([plan, text, withNative.encodeLong(text, plan)]).toEqual([plan, text, js.encodeLong(text, plan)]);
        if (plan.mode === 'chunks') expect([plan, text, withNative.encodeWordChunks(text, plan)]).toEqual([plan, text, js.encodeWordChunks(text, plan)]);
      }
    }
  });

  it('leaves other tokenizers to the JS one', () => {
    const model = readModelDir(fixture('tiny-bert'));
    const js = new TextTokenizer(model);
    expect(wordPieceSetup(model, js)).toBeDefined();
    const json = model.tokenizerJson as Record<string, Record<string, unknown>>;
    const others = [
      { model: { ...json.model, type: 'BPE' } },
      { normalizer: { type: 'Sequence', normalizers: [json.normalizer] } },
      { pre_tokenizer: { type: 'Whitespace' } },
      { post_processor: { type: 'TemplateProcessing', single: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'A', type_id: 1 } }] } },
      { model: { ...json.model, continuing_subword_prefix: undefined } },
    ];
    for (const patch of others) expect(wordPieceSetup(withTokenizer(model, patch), js)).toBeUndefined();
    expect(wordPieceSetup({ ...model, tokenizerConfig: { ...model.tokenizerConfig, remove_space: true } }, js)).toBeUndefined();
  });

  it('follows the normalizer flags: no lowercasing, no cleaning', () => {
    const model = readModelDir(fixture('tiny-bert'));
    const json = model.tokenizerJson as Record<string, Record<string, unknown>>;
    for (const flags of [{ lowercase: false }, { clean_text: false }, { lowercase: false, clean_text: false }]) {
      const variant = withTokenizer(model, { normalizer: { ...json.normalizer, ...flags } });
      const js = new TextTokenizer(variant);
      const native = nativeWordPiece(variant, js)!;
      for (const text of texts.filter(isAscii).slice(0, 400)) {
        const got = native.encode(text, js.maxTokens, true);
        if (got === null) continue;
        expect([flags, text, Array.from(got.ids)]).toEqual([flags, text, Array.from(js.encode(text, true).ids)]);
      }
    }
  });

  it('classify answers the same with nativeTokenizer on and off, and bad input gets the same typed errors', async () => {
    const on = await loadClassifier(fixture('tiny-bert'), { maxBatchSize: 1 });
    const off = await loadClassifier(fixture('tiny-bert'), { maxBatchSize: 1, nativeTokenizer: false });
    try {
      expect(on.tokenizer.hasNative).toBe(true);
      expect(off.tokenizer.hasNative).toBe(false);
      const some = [...sampleTexts, ...tricky.filter((t) => t.length < 3000), ...sst2.slice(0, 100)];
      const strip = (r: { timing: unknown }) => ({ ...r, timing: undefined });
      expect((await on.classify(some)).map(strip)).toEqual((await off.classify(some)).map(strip));
      const tooLong = 'word '.repeat(400);
      const [a, b] = await Promise.allSettled([on.classify(tooLong, { truncate: false }), off.classify(tooLong, { truncate: false })]);
      expect(a.status).toBe('rejected');
      expect(a).toEqual(b);
      expect((a as PromiseRejectedResult).reason).toMatchObject({ name: 'InputTooLongError', code: 'ERR_INPUT_TOO_LONG', maxTokens: 128 });
      await expect(on.classify(42 as unknown as string)).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
      await expect(on.classify(['fine', null as unknown as string])).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
    } finally {
      await Promise.all([on.dispose(), off.dispose()]);
    }
    await expect(loadClassifier(fixture('tiny-bert'), { nativeTokenizer: 'yes' as unknown as boolean })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });
});
