// Splits and cross-file checks: a seeded split by unique text (no text in two parts), dev/test against train,
// and what train needs to be trainable.
// The same seeded PRNG (mulberry32) the bench builds its workloads with.
import { seeded, shuffle } from '../bench/stats.js';
import { DataError, type Dataset, type Example, type SplitOptions, type SplitResult } from './types.js';

/** Throws unless every sequence head has at least two classes. */
export function requireTrainable(train: Dataset): void {
  for (const head of train.heads) {
    if (head.kind === 'sequence' && head.labels.length < 2) {
      throw new DataError('DATA_INCOMPATIBLE', train.file, `head '${head.name}' has a single class (${head.labels.join(', ') || 'none'}): a classifier needs at least two`);
    }
    if (head.kind === 'token' && head.labels.length < 3) {
      throw new DataError('DATA_INCOMPATIBLE', train.file, `head '${head.name}' has no labelled spans`);
    }
  }
}

/** Dev/test against train: the same heads, and no label train has never seen. */
export function checkCompatible(train: Dataset, other: Dataset): void {
  const describe = (d: Dataset) => d.heads.map((h) => `${h.name} (${h.kind}${h.problemType === 'multi_label_classification' ? ', multi-label' : ''})`).join(', ');
  const same =
    train.heads.length === other.heads.length &&
    train.heads.every((h) => other.heads.some((o) => o.name === h.name && o.kind === h.kind && o.problemType === h.problemType));
  if (!same) throw new DataError('DATA_INCOMPATIBLE', other.file, `its heads ${describe(other)} differ from ${train.file}'s: ${describe(train)}`);
  for (const head of train.heads) {
    const known = new Set(head.labels);
    for (const ex of other.examples) {
      const labels = head.kind === 'token' ? (ex.spans ?? []).map((s) => `B-${s.label}`) : [ex.heads[head.name]].flat();
      const unseen = labels.find((l) => !known.has(l));
      if (unseen !== undefined) {
        const [, line] = /:(\d+)$/.exec(ex.where) ?? [];
        const name = head.kind === 'token' ? `entity '${unseen.slice(2)}'` : `label '${unseen}'`;
        throw new DataError('DATA_INCOMPATIBLE', other.file, `${name} of head '${head.name}' never occurs in ${train.file}`, line ? Number(line) : undefined);
      }
    }
  }
}

/**
 * A seeded, deterministic split by unique text: rows that share a text stay together. Stratified by the first
 * head's label, so rare classes stay in train. `dev` and `test` are counts (>= 1) or fractions (< 1) of texts.
 */
export function splitDataset(ds: Dataset, opts: SplitOptions): SplitResult {
  const groups = new Map<string, Example[]>();
  for (const ex of ds.examples) groups.set(ex.text, [...(groups.get(ex.text) ?? []), ex]);
  const texts = [...groups.keys()];
  const count = (x: number | undefined) => {
    if (x === undefined || x === 0) return 0;
    if (!(x > 0)) throw new DataError('DATA_INVALID', ds.file, `split sizes must be positive, got ${x}`);
    return x < 1 ? Math.round(x * texts.length) : Math.floor(x);
  };
  const nTest = count(opts.test);
  const nDev = count(opts.dev);
  if (nDev + nTest >= texts.length) {
    throw new DataError('DATA_INVALID', ds.file, `cannot hold out ${nDev} dev + ${nTest} test texts from ${texts.length} unique texts`);
  }

  // Strata by the first head's label; within each, a seeded shuffle; texts are dealt round-robin over the strata
  // so every part gets each class in proportion.
  const head = ds.heads[0];
  const key = (text: string) => (head?.kind === 'sequence' ? JSON.stringify(groups.get(text)![0].heads[head.name]) : '');
  const strata = new Map<string, string[]>();
  for (const t of texts) strata.set(key(t), [...(strata.get(key(t)) ?? []), t]);
  const random = seeded(opts.seed);
  const order = interleave([...strata.keys()].sort().map((k) => shuffle(strata.get(k)!, random)));
  const test = new Set(order.slice(0, nTest));
  const dev = new Set(order.slice(nTest, nTest + nDev));
  const part = (keep: (t: string) => boolean): Dataset => ({ ...ds, examples: ds.examples.filter((e) => keep(e.text)), warnings: [...ds.warnings] });
  const result: SplitResult = {
    train: part((t) => !test.has(t) && !dev.has(t)),
    dev: part((t) => dev.has(t)),
    seed: opts.seed,
    sizes: { train: 0, dev: 0, test: 0 },
  };
  if (nTest) result.test = part((t) => test.has(t));
  result.sizes = { train: result.train.examples.length, dev: result.dev.examples.length, test: result.test?.examples.length ?? 0 };
  return result;
}

/** Takes from each list in proportion to its length, so a prefix of the result is stratified. */
function interleave(lists: string[][]): string[] {
  const total = lists.reduce((n, l) => n + l.length, 0);
  const taken = lists.map(() => 0);
  const out: string[] = [];
  while (out.length < total) {
    // The list furthest behind its share of what has been taken so far goes next.
    let best = -1;
    let bestLag = -Infinity;
    lists.forEach((l, i) => {
      if (taken[i] >= l.length) return;
      const lag = ((out.length + 1) * l.length) / total - taken[i];
      if (lag > bestLag) [best, bestLag] = [i, lag];
    });
    out.push(lists[best][taken[best]++]);
  }
  return out;
}

