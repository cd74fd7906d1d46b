// Peer: onnxruntime-node used directly, the natural way: tokenize, one session.run per request, softmax.
import ort from 'onnxruntime-node';
import type { ModelView } from '../model-view.js';
import { ortSessionOptions, softmaxInPlace, type Subject, type ThreadSettings } from './subject.js';

/** Same tokenizer as the engine's, same thread count, spinning and graph optimisation. */
export async function ortNodePeer(model: ModelView, threads: ThreadSettings): Promise<Subject> {
  const { tokenizer } = model;
  const session = await ort.InferenceSession.create(model.target.modelFile, { executionProviders: ['cpu'], ...ortSessionOptions(threads) });
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
      const logits = out[output].data as Float32Array;
      softmaxInPlace(logits.subarray(0, out[output].dims.at(-1)));
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
