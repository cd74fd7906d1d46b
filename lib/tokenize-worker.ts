// A tokenizer thread of TokenizerPool: the same TextTokenizer as the JS thread's, so the ids are identical.
import { parentPort, workerData } from 'node:worker_threads';
import { InputTooLongError } from './errors.js';
import { readModelDir } from './model-dir.js';
import { TextTokenizer } from './tokenize.js';
import type { PoolReply, PoolRequest, PoolSetup } from './tokenize-pool.js';

const setup = workerData as PoolSetup;
const tokenizer = new TextTokenizer(readModelDir(setup.dir, setup.modelFile), setup.maxTokens);

parentPort!.on('message', (batch: PoolRequest) => {
  const encoded: Int32Array[] = [];
  const ends = new Uint32Array(batch.texts.length);
  const truncated = new Uint8Array(batch.texts.length);
  const errors: PoolReply['errors'] = [];
  let total = 0;
  batch.texts.forEach((text, i) => {
    try {
      const e = tokenizer.encode(text, batch.truncate[i] === 1);
      encoded.push(e.ids);
      truncated[i] = e.truncated ? 1 : 0;
      total += e.ids.length;
    } catch (err) {
      encoded.push(new Int32Array(0));
      const tooLong = err instanceof InputTooLongError ? { tokens: err.tokens, maxTokens: err.maxTokens } : {};
      errors.push({ index: i, name: (err as Error).name, message: (err as Error).message, ...tooLong });
    }
    ends[i] = total;
  });
  // One buffer for the whole batch, moved (not copied) back to the JS thread.
  const all = new Int32Array(total);
  let at = 0;
  for (const ids of encoded) all.set(ids, at), (at += ids.length);
  const reply: PoolReply = { ids: all, ends, truncated, errors };
  parentPort!.postMessage(reply, [all.buffer, ends.buffer, truncated.buffer]);
});
