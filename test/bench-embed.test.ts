import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openModel } from '../bench/model-view.js';
import { engineEmbed, isEmbedder, ortNodeEmbed, transformersJsEmbed } from '../bench/peers/embed.js';
import { fixture } from './helpers.js';

describe('bench embed contestants (tiny-embed)', () => {
  it('runs embed(), onnxruntime-node with the folder\'s pooling and transformers.js feature-extraction on the same file', async () => {
    const dir = fixture('tiny-embed');
    const view = openModel({ name: 'tiny-embed (fixture)', dir, modelFile: path.join(dir, 'model.onnx'), runs: 'quick' });
    expect(isEmbedder(view)).toBe(true);
    const threads = { intraOpThreads: 1, allowSpinning: false };
    const item = { text: 'hello there, a short sentence', ids: view.tokenizer.encode('hello there').ids };
    for (const subject of [engineEmbed(view, threads), await ortNodeEmbed(view, threads), await transformersJsEmbed(view, threads)]) {
      try {
        expect(await subject.call(item)).toBeGreaterThanOrEqual(1);
      } finally {
        await subject.close();
      }
    }
  });
});
