// Engine logits must equal ONNX Runtime's own (onnxruntime-node, one unpadded session.run per text), whether the
// engine runs them alone or batched with texts of other lengths: padding must not change any result.
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModel, type OpenedModel } from '../lib/load.js';
import { classifierFixtures, fixture, maxAbsDiff, sampleTexts } from './helpers.js';

const TOLERANCE = 1e-4;

describe.each([...classifierFixtures, 'tiny-bert-tagger', 'tiny-joint', 'tiny-consolidated'])('parity with ONNX Runtime: %s', (name) => {
  let session: ort.InferenceSession;
  let clf: OpenedModel; // tokenizer + engine alone: run raw ids, read every output of every model kind
  beforeAll(async () => {
    session = await ort.InferenceSession.create(`${fixture(name)}/model.onnx`);
    clf = await openModel(fixture(name), { maxBatchSize: 64, maxWaitMs: 20 }, (opened) => opened);
  });
  afterAll(async () => {
    await clf.engine.dispose();
    await session.release();
  });

  async function reference(ids: Int32Array): Promise<Record<string, Float32Array>> {
    const int32 = session.inputNames.length > 0 && name.endsWith('int32');
    const make = (values: number[]) =>
      int32 ? new ort.Tensor('int32', Int32Array.from(values), [1, ids.length]) : new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), [1, ids.length]);
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of session.inputNames) {
      if (input === 'input_ids') feeds[input] = make(Array.from(ids));
      else if (input === 'attention_mask') feeds[input] = make(Array.from(ids, () => 1));
      else feeds[input] = make(Array.from(ids, () => 0));
    }
    const out = await session.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
  }

  it('single and mixed-length batched runs equal onnxruntime-node within 1e-4', async () => {
    const encoded = sampleTexts.map((t) => clf.tokenizer.encode(t).ids);
    const expected = await Promise.all(encoded.map(reference));
    const alone: Awaited<ReturnType<typeof clf.engine.run>>[] = [];
    for (const ids of encoded) alone.push(await clf.engine.run(ids, null));
    const batched = await Promise.all(encoded.map((ids) => clf.engine.run(ids, null)));
    expect(Math.max(...batched.map((b) => b.batchSize))).toBeGreaterThan(1);
    for (let i = 0; i < encoded.length; i++) {
      for (const [output, want] of Object.entries(expected[i])) {
        expect(maxAbsDiff(alone[i].outputs[output].data, want)).toBeLessThan(TOLERANCE);
        expect(maxAbsDiff(batched[i].outputs[output].data, want)).toBeLessThan(TOLERANCE);
        const dims = batched[i].outputs[output].dims;
        expect(dims.reduce((a, b) => a * b, 1)).toBe(want.length);
      }
    }
  });
});
