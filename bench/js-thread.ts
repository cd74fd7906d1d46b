// Where the JS thread's time goes per classify() call (the ceiling the H200 run hit at ~17k req/s): tokenizing,
// crossing into native (Engine.run returning its promise), settling (the thread-safe function's callback, result
// objects, promise reactions), and post-processing into the Classification. Counted as CPU time of the JS thread
// itself (/proc/thread-self/schedstat, Linux), so neither the inference threads nor time the thread spends
// descheduled on a busy machine count; elsewhere wall time is the fallback. Bursts of N requests:
//   - tokenize, post-process: loops over the same medium texts; tokenize by word (what parse and tagSlots do for
//     token heads) and a ~1,000-token text into chunks (long: 'chunks') too;
//   - submit: the synchronous part of N Engine.run calls;
//   - Engine.run total: from the first submit until all N settled, per request; settle = total - submit;
//   - classify total: the same for N classify(text) calls;
//   - the tokenize and classify rows again with the native WordPiece tokenizer (nativeTokenizer, lib/wordpiece.ts),
//     where the model's tokenizer.json qualifies (non-ASCII texts still go to the JS tokenizer).
import { readFileSync } from 'node:fs';
import { Classifier } from '../lib/classify.js';
import { Engine } from '../lib/engine.js';
import { longPlan } from '../lib/postprocess/chunks.js';
import { decodeSequence } from '../lib/postprocess/sequence.js';
import { TextTokenizer } from '../lib/tokenize.js';
import { TokenizerPool } from '../lib/tokenize-pool.js';
import { nativeWordPiece } from '../lib/wordpiece.js';
import type { ModelView } from './model-view.js';
import type { AblationRow } from './results.js';
import type { Workload } from './workloads.js';

export interface JsThreadCost {
  /** Microseconds of JS-thread time per request. */
  tokenize: number;
  submit: number;
  settle: number;
  postprocess: number;
  engineRunTotal: number;
  classifyTotal: number;
  /** classify(text) total with tokenizerThreads N (the JS thread only hands texts over), by N. */
  pooled: Record<number, number>;
  /** Tokenizing word by word, as parse and tagSlots do for token heads (each token knows its word). */
  tokenizeWords: number;
  /** Tokenizing a ~1,000-token text (30 of the workload's texts) into `long: 'chunks'` windows, per text. */
  tokenizeLong: number;
  /** tokenize, word by word too, and classify(text) total with the native WordPiece tokenizer; absent where the
   * model has none. */
  native?: { tokenize: number; tokenizeWords: number; tokenizeLong: number; classifyTotal: number };
  requests: number;
}

/** Milliseconds of CPU the calling thread has used (wall time where the kernel does not say). */
export function threadCpuMs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return performance.now();
  }
}

export async function measureJsThread(model: ModelView, work: Workload, requests: number, intraOpThreads: number,
  poolThreads: number[] = [1, 2]): Promise<JsThreadCost> {
  const engine = new Engine(model.target.modelFile, { intraOpThreads, padId: model.tokenizer.padId, maxTokens: model.tokenizer.maxTokens, maxQueue: requests * 2 });
  const classifier = new Classifier({ engine, model: model.dir, tokenizer: model.tokenizer });
  try {
    const texts = Array.from({ length: requests }, (_, i) => work.items[i % work.items.length].text);
    const ids = texts.map((t) => model.tokenizer.encode(t).ids);
    await Promise.all(ids.slice(0, 64).map((x) => engine.run(x, null))); // warm-up: session, allocator, JIT

    const perRequestUs = (since: number) => ((threadCpuMs() - since) * 1000) / requests;
    let t = threadCpuMs();
    for (const text of texts) model.tokenizer.encode(text);
    const tokenize = perRequestUs(t);
    t = threadCpuMs();
    for (const text of texts) model.tokenizer.encodeWords(text, 'first');
    const tokenizeWords = perRequestUs(t);
    const docs = Array.from({ length: Math.floor(requests / 30) }, (_, i) => texts.slice(i * 30, i * 30 + 30).join(' '));
    const chunks = longPlan({ long: 'chunks' }, model.tokenizer.maxTokens, model.tokenizer.specialTokens);
    const perDocUs = (tokenizer: TextTokenizer) => {
      const since = threadCpuMs();
      for (const doc of docs) tokenizer.encodeLong(doc, chunks);
      return ((threadCpuMs() - since) * 1000) / docs.length;
    };
    const tokenizeLong = perDocUs(model.tokenizer);

    t = threadCpuMs();
    const pending = ids.map((x) => engine.run(x, null));
    const submit = perRequestUs(t);
    const outputs = await Promise.all(pending);
    const engineRunTotal = perRequestUs(t);

    const output = classifier.engine.outputs[0].name;
    t = threadCpuMs();
    for (const out of outputs) {
      const p = decodeSequence(out.outputs[output].data, { labels: classifier.labels, multiLabel: false, temperature: classifier.temperature });
      void { ...p, tokens: 0, truncated: false, timing: { queueMs: out.queueMs, inferMs: out.inferMs, batchSize: out.batchSize } };
    }
    const postprocess = perRequestUs(t);

    t = threadCpuMs();
    await Promise.all(texts.map((text) => classifier.classify(text)));
    const classifyTotal = perRequestUs(t);

    let native: JsThreadCost['native'];
    // The same window as model.tokenizer (the bench's lifted one), with the native tokenizer in front.
    const fast = new TextTokenizer(model.dir, undefined, nativeWordPiece);
    if (fast.hasNative) {
      const viaNative = new Classifier({ engine, model: model.dir, tokenizer: fast });
      await Promise.all(texts.slice(0, 64).map((text) => viaNative.classify(text)));
      t = threadCpuMs();
      for (const text of texts) fast.encodeIds(text);
      const nativeTokenize = perRequestUs(t);
      t = threadCpuMs();
      for (const text of texts) fast.encodeWords(text, 'first');
      const nativeWords = perRequestUs(t);
      const nativeLong = perDocUs(fast);
      t = threadCpuMs();
      await Promise.all(texts.map((text) => viaNative.classify(text)));
      native = { tokenize: nativeTokenize, tokenizeWords: nativeWords, tokenizeLong: nativeLong, classifyTotal: perRequestUs(t) };
    }

    const pooled: Record<number, number> = {};
    for (const threads of poolThreads) {
      const pool = new TokenizerPool({ dir: model.dir.dir, modelFile: model.target.modelFile }, threads);
      const viaPool = new Classifier({ engine, model: model.dir, tokenizer: model.tokenizer, pool });
      try {
        await Promise.all(texts.slice(0, 64).map((text) => viaPool.classify(text))); // threads up, tokenizers built
        t = threadCpuMs();
        await Promise.all(texts.map((text) => viaPool.classify(text)));
        pooled[threads] = perRequestUs(t);
      } finally {
        await pool.close();
      }
    }
    return { tokenize, tokenizeWords, tokenizeLong, submit, settle: engineRunTotal - submit, postprocess, engineRunTotal, classifyTotal, pooled, native, requests };
  } finally {
    await engine.dispose();
  }
}

export function jsThreadRows(model: string, workload: string, c: JsThreadCost, run: number): AblationRow[] {
  const parts: [string, number][] = [['tokenize', c.tokenize], ['tokenize by word (parse, tagSlots)', c.tokenizeWords],
    ['tokenize a ~1,000-token text into chunks (per text)', c.tokenizeLong], ['submit (Engine.run returns its promise)', c.submit],
    ['settle (callback, output objects, promise reactions)', c.settle], ['post-process (decodeSequence + result object)', c.postprocess],
    ['Engine.run(ids) total', c.engineRunTotal], ['classify(text) total', c.classifyTotal],
    ...Object.entries(c.pooled).map(([n, us]): [string, number] => [`classify(text) total, tokenizerThreads ${n}`, us]),
    ...(c.native ? [['tokenize, native WordPiece', c.native.tokenize], ['tokenize by word, native WordPiece', c.native.tokenizeWords],
      ['tokenize a ~1,000-token text into chunks (per text), native WordPiece', c.native.tokenizeLong],
      ['classify(text) total, native WordPiece', c.native.classifyTotal]] as [string, number][] : [])];
  return parts.map(([config, us]) => ({
    study: 'JS-thread µs per request (burst)', model, config: `${config} (run ${run})`, workload, concurrency: c.requests,
    p50: us / 1000, p99: NaN, rps: null, meanBatch: null, vsBaseline: us / c.classifyTotal,
    note: `${us.toFixed(1)} µs; vs baseline = share of classify total`,
  }));
}
