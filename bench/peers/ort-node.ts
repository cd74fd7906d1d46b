// Peer: onnxruntime-node used directly, the natural way: tokenize, one session.run per request, then what a user
// does with the first output in JS (softmax for a classifier; pooling for an embedder, peers/embed.ts).
import ort from 'onnxruntime-node';
import type { ModelView } from '../model-view.js';
import { ortSessionOptions, softmaxFirstRow, type Subject, type ThreadSettings } from './subject.js';

/** The first output of one text, widened to float32, and its shape ([1, classes] or [1, tokens, width]). */
export type Finish = (values: Float32Array, dims: readonly number[]) => void;

/** Same tokenizer as the engine's, same thread count, spinning and graph optimisation, on the same provider. */
export async function ortNodePeer(model: ModelView, threads: ThreadSettings, provider: 'cpu' | 'cuda' | 'tensorrt' = 'cpu',
  finish: Finish = softmaxFirstRow): Promise<Subject> {
  const { tokenizer } = model;
  const session = await ort.InferenceSession.create(model.target.modelFile, { executionProviders: [provider], ...ortSessionOptions(threads) });
  const int32 = new Set(
    session.inputMetadata.filter((m) => m.isTensor && m.type === 'int32').map((m) => m.name),
  );
  const output = session.outputNames[0];
  return {
    name: 'onnxruntime-node',
    input: 'text',
    call: async (item) => {
      const ids = tokenizer.encode(item.text).ids;
      const feeds: Record<string, ort.Tensor> = {};
      for (const name of session.inputNames) feeds[name] = tensor(name, ids, int32.has(name));
      const out = await session.run(feeds);
      const raw = out[output];
      finish(raw.type === 'float16' ? widenHalf(raw.data as Uint16Array) : (raw.data as Float32Array), raw.dims);
      return 1;
    },
    close: () => session.release(),
  };
}

function tensor(name: string, ids: Int32Array, int32: boolean): ort.Tensor {
  const n = ids.length;
  const values = int32 ? new Int32Array(n) : new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    const v = name === 'input_ids' ? ids[i] : name === 'attention_mask' ? 1 : name === 'position_ids' ? i : 0;
    values[i] = (int32 ? v : BigInt(v)) as never;
  }
  return int32 ? new ort.Tensor('int32', values as Int32Array, [1, n]) : new ort.Tensor('int64', values as BigInt64Array, [1, n]);
}

/** float16 bits -> float32, as the engine does natively for fp16 outputs (same work for both contestants). */
function widenHalf(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i];
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    const sign = h & 0x8000 ? -1 : 1;
    out[i] = exp === 0 ? sign * frac * 2 ** -24 : exp === 31 ? (frac ? NaN : sign * Infinity) : sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return out;
}
