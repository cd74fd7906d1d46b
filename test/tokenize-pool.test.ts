// tokenizerThreads: tokenizing on worker threads gives the JS thread's ids exactly, the same answers, the same
// errors. The threads run the compiled dist/lib/tokenize-worker.js (npm install / npm run build makes it).
import { describe, expect, it } from 'vitest';
import { loadSentences } from '../bench/workloads.js';
import { loadClassifier } from '../lib/index.js';
import { readModelDir } from '../lib/model-dir.js';
import { TextTokenizer } from '../lib/tokenize.js';
import { TokenizerPool } from '../lib/tokenize-pool.js';
import { classifierFixtures, fixture, sampleTexts } from './helpers.js';

const texts = [...sampleTexts, ...loadSentences().sentences.slice(0, 300), 'word '.repeat(400)];

describe('tokenizer threads', () => {
  it('give the JS thread tokenizer\'s ids for every text, across threads and batches', async () => {
    for (const name of classifierFixtures) {
      const reference = new TextTokenizer(readModelDir(fixture(name)));
      const pool = new TokenizerPool({ dir: fixture(name) }, 2);
      try {
        const got = await Promise.all(texts.map((t) => pool.encode(t, true)));
        texts.forEach((t, i) => {
          const want = reference.encode(t, true);
          expect([name, i, Array.from(got[i].ids), got[i].truncated]).toEqual([name, i, Array.from(want.ids), want.truncated]);
        });
      } finally {
        await pool.close();
      }
    }
  });

  it('reject a too-long text with InputTooLongError when truncation is off, and other texts still resolve', async () => {
    const pool = new TokenizerPool({ dir: fixture('tiny-bert') }, 1);
    try {
      const [long, short] = await Promise.allSettled([pool.encode('word '.repeat(400), false), pool.encode('fine', false)]);
      expect(long).toMatchObject({ status: 'rejected', reason: { name: 'InputTooLongError', code: 'ERR_INPUT_TOO_LONG', maxTokens: 128 } });
      expect(short.status).toBe('fulfilled');
    } finally {
      await pool.close();
    }
    await expect(pool.encode('after close', true)).rejects.toMatchObject({ code: 'ERR_DISPOSED' });
  });

  it('classify answers equal the JS-thread path; the option is validated', async () => {
    const threaded = await loadClassifier(fixture('tiny-bert'), { tokenizerThreads: 2, maxBatchSize: 1 });
    const plain = await loadClassifier(fixture('tiny-bert'), { maxBatchSize: 1 });
    try {
      expect(await threaded.classify(texts.slice(0, 50))).toEqual(
        (await plain.classify(texts.slice(0, 50))).map((r) => ({ ...r, timing: expect.any(Object) })));
    } finally {
      await Promise.all([threaded.dispose(), plain.dispose()]);
    }
    await expect(loadClassifier(fixture('tiny-bert'), { tokenizerThreads: -1 })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });
});
