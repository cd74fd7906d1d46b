import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEmbedder, ModelLoadError, POOLING_MODES, type Embedder } from '../lib/index.js';
import { fixture, maxAbsDiff } from './helpers.js';

// Written by models/embed/make_fixture.py with sentence-transformers (Python) from the same weights.
const reference = JSON.parse(readFileSync(path.join(fixture('tiny-embed'), 'reference.json'), 'utf8')) as {
  texts: string[];
  embeddings: number[][];
  modes: Record<string, number[][]>;
};

describe('loadEmbedder(tiny-embed), fp32', () => {
  let embedder: Embedder;
  beforeAll(async () => {
    embedder = await loadEmbedder(fixture('tiny-embed'));
  });
  afterAll(() => embedder.dispose());

  it('reads the pipeline from modules.json and 1_Pooling/config.json', () => {
    expect(embedder.pooling).toEqual(['mean']);
    expect(embedder.normalize).toBe(true);
    expect(embedder.dimension()).toBe(32);
    expect(embedder.tokenizer.maxTokens).toBe(64); // sentence_bert_config.json's max_seq_length
  });

  it('equals sentence-transformers on every reference text, empty string included', async () => {
    const vectors = await embedder.embed(reference.texts);
    vectors.forEach((v, i) => expect(maxAbsDiff(v, reference.embeddings[i])).toBeLessThan(1e-5));
  });

  it.each(POOLING_MODES)('pooling %s (unnormalised) equals sentence-transformers', async (mode) => {
    const vectors = await embedder.embed(reference.texts, { pooling: mode, normalize: false });
    vectors.forEach((v, i) => expect(maxAbsDiff(v, reference.modes[mode][i])).toBeLessThan(1e-5));
  });

  it('concatenates several pooling modes in the order given', async () => {
    const [v] = await embedder.embed(['hello world'], { pooling: ['cls', 'mean'], normalize: false });
    const cls = await embedder.embed('hello world', { pooling: 'cls', normalize: false });
    const mean = await embedder.embed('hello world', { pooling: 'mean', normalize: false });
    expect(v).toHaveLength(64);
    expect(Array.from(v)).toEqual([...cls, ...mean]);
  });

  it('rejects bad options and inputs with typed errors', async () => {
    await expect(embedder.embed('x', { pooling: 'median' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
    await expect(embedder.embed('x', { pooling: [] })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
    await expect(embedder.embed('x', { normalize: 'yes' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
    await expect(embedder.embed(42 as never)).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
  });
});

describe('int8 embedder (static MatMul + Gather quantisation)', () => {
  it('gives a text the same vector alone and batched with others', async () => {
    const embedder = await loadEmbedder(fixture('tiny-embed'), { modelFile: 'model_int8.onnx', maxWaitMs: 5 });
    try {
      const alone: Float32Array[] = [];
      for (const t of reference.texts) alone.push(await embedder.embed(t));
      const together = await embedder.embed([...reference.texts, ...reference.texts]);
      together.forEach((v, i) => expect(Array.from(v)).toEqual(Array.from(alone[i % alone.length])));
      expect(embedder.engine.stats().batches).toBeLessThan(reference.texts.length * 3); // some batches held several texts
      // Quantised, so close to the fp32 reference but not equal.
      alone.forEach((v, i) => expect(maxAbsDiff(v, reference.embeddings[i])).toBeLessThan(0.2));
    } finally {
      await embedder.dispose();
    }
  });
});

describe('embedder folders that do not fit', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'embed-folder-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const variant = (name: string, edit: (folder: string) => void) => {
    const folder = path.join(dir, name);
    cpSync(fixture('tiny-embed'), folder, { recursive: true });
    edit(folder);
    return folder;
  };

  it('needs modules.json', async () => {
    const folder = variant('no-modules', (f) => rmSync(path.join(f, 'modules.json')));
    await expect(loadEmbedder(folder)).rejects.toThrow(/modules.json/);
    await expect(loadEmbedder(folder)).rejects.toBeInstanceOf(ModelLoadError);
  });

  it('refuses modules it does not run (e.g. Dense) rather than ignoring them', async () => {
    const folder = variant('dense', (f) => {
      const modules = JSON.parse(readFileSync(path.join(f, 'modules.json'), 'utf8'));
      modules.splice(2, 0, { idx: 2, name: '2', path: '2_Dense', type: 'sentence_transformers.models.Dense' });
      writeFileSync(path.join(f, 'modules.json'), JSON.stringify(modules));
    });
    await expect(loadEmbedder(folder)).rejects.toThrow(/Dense is not supported/);
  });

  it('reads the current pooling_mode key and rejects unknown modes', async () => {
    const cls = variant('cls', (f) => writeFileSync(path.join(f, '1_Pooling/config.json'), JSON.stringify({ embedding_dimension: 32, pooling_mode: 'cls' })));
    const e = await loadEmbedder(cls);
    expect(e.pooling).toEqual(['cls']);
    await e.dispose();
    const bad = variant('bad-mode', (f) => writeFileSync(path.join(f, '1_Pooling/config.json'), JSON.stringify({ pooling_mode: 'median' })));
    await expect(loadEmbedder(bad)).rejects.toBeInstanceOf(ModelLoadError);
  });

  it('needs a [batch, tokens, hidden] output', async () => {
    await expect(loadEmbedder(fixture('tiny-bert'))).rejects.toBeInstanceOf(ModelLoadError); // no modules.json either
    const classifier = variant('classifier', (f) => cpSync(path.join(fixture('tiny-bert'), 'model.onnx'), path.join(f, 'model.onnx')));
    await expect(loadEmbedder(classifier)).rejects.toThrow(/token-embedding output/);
  });
});
