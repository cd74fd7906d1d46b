import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openModel } from '../bench/model-view.js';
import { engineEmbed, isEmbedder, ortNodeEmbed, transformersJsEmbed } from '../bench/peers/embed.js';
import { engineFromText } from '../bench/peers/engine.js';
import { ortNodePeer } from '../bench/peers/ort-node.js';
import type { Subject } from '../bench/peers/subject.js';
import { transformersJsPeer } from '../bench/peers/transformers-js.js';
import { fixture } from './helpers.js';

const threads = { intraOpThreads: 1, allowSpinning: false };
const view = (name: string) => openModel({ name, dir: fixture(name), modelFile: path.join(fixture(name), 'model.onnx'), runs: 'quick' });

/** Each contestant opened, called once on the text, closed. */
async function callEach(opening: (Subject | Promise<Subject>)[], text: string, ids: Int32Array) {
  for (const open of opening) {
    const subject = await open;
    try {
      expect(await subject.call({ text, ids })).toBeGreaterThanOrEqual(1);
    } finally {
      await subject.close();
    }
  }
}

describe('bench contestants on other model kinds', () => {
  it('an embedder: embed(), onnxruntime-node with the folder\'s pooling and transformers.js feature-extraction on the same file', async () => {
    const embedder = view('tiny-embed');
    expect(isEmbedder(embedder)).toBe(true);
    await callEach([engineEmbed(embedder, threads), ortNodeEmbed(embedder, threads), transformersJsEmbed(embedder, threads)],
      'hello there, a short sentence', embedder.tokenizer.encode('hello there').ids);
  });

  it('a two-head joint model: every peer opens (transformers.js calls the model where its pipeline cannot)', async () => {
    const joint = view('tiny-joint');
    await callEach([engineFromText(joint, threads), ortNodePeer(joint, threads), transformersJsPeer(joint, threads)],
      'play the beatles in the kitchen', joint.tokenizer.encode('play the beatles').ids);
  });
});
