// Token embeddings -> one sentence vector, with sentence-transformers' Pooling semantics. The engine hands each
// request its own tokens only (no padding), so every mode reads all the rows it is given.

export const POOLING_MODES = ['cls', 'max', 'mean', 'mean_sqrt_len_tokens', 'weightedmean', 'lasttoken'] as const;
export type PoolingMode = (typeof POOLING_MODES)[number];

/** `tokens` is [n, hidden] row-major. Several modes are concatenated in the order given, as sentence-transformers does. */
export function pool(tokens: Float32Array, hidden: number, modes: readonly PoolingMode[]): Float32Array {
  const n = tokens.length / hidden;
  const out = new Float32Array(hidden * modes.length);
  modes.forEach((mode, m) => {
    const v = out.subarray(m * hidden, (m + 1) * hidden);
    if (mode === 'cls' || mode === 'lasttoken') {
      const t = mode === 'cls' ? 0 : n - 1;
      v.set(tokens.subarray(t * hidden, (t + 1) * hidden));
      return;
    }
    // float64 accumulation: sums over hundreds of tokens keep full float32 precision.
    const acc = new Float64Array(hidden).fill(mode === 'max' ? -Infinity : 0);
    let weights = 0;
    for (let t = 0; t < n; t++) {
      const w = mode === 'weightedmean' ? t + 1 : 1;
      weights += w;
      const row = tokens.subarray(t * hidden, (t + 1) * hidden);
      if (mode === 'max') for (let d = 0; d < hidden; d++) acc[d] = Math.max(acc[d], row[d]);
      else for (let d = 0; d < hidden; d++) acc[d] += w * row[d];
    }
    const divisor = mode === 'max' ? 1 : mode === 'mean_sqrt_len_tokens' ? Math.sqrt(n) : weights;
    for (let d = 0; d < hidden; d++) v[d] = acc[d] / divisor;
  });
  return out;
}

/** Scales to unit L2 length in place (a zero vector stays zero), as sentence-transformers' Normalize module. */
export function l2Normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  const norm = Math.max(Math.sqrt(sum), 1e-12);
  for (let i = 0; i < v.length; i++) v[i] /= norm;
  return v;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return dot(a, b) / Math.max(Math.sqrt(dot(a, a) * dot(b, b)), 1e-12);
}
