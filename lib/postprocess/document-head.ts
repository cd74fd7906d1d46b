// A folder's document head (config.json `document_head`, written by `npm run train -- --lexical tfidf-document`): a
// tf-idf logistic regression over all the word pieces a text's windows read, added to the combined window logits,
// then each nested mix (a coarse head mixed with its fine head's summed probabilities). It lives here, not in the
// ONNX graph, because a window never sees the whole document. train/python/document_head.py DocumentHead is the
// mirror the trainer scores with, from the same file.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ModelLoadError } from '../errors.js';
import { logSoftmax } from './chunks.js';

/** A head the document head may add to, in the model's output order. `name` is absent for a one-head folder. */
export interface DocumentHeadTarget {
  name?: string;
  classes: number;
}

interface LexicalHead {
  at: number;
  classes: number;
  /** [classes x columns], the dev-chosen weight folded in. */
  coef: Float64Array;
  bias: Float64Array;
}

interface NestedMix {
  fine: number;
  coarse: number;
  /** The coarse label of each fine label. */
  members: Int32Array;
  mix: number;
}

// nested.py OUTSIDE: the graph's log-mask of a fine label outside a coarse one; the same here, so the two agree.
const OUTSIDE = -1e4;

export class DocumentHead {
  /** Token id -> its column, -1 where the head has none. */
  private readonly column: Int32Array;
  private readonly idf: Float64Array;
  private readonly lexical: LexicalHead[];
  private readonly nested: NestedMix[];

  /** Reads and checks `file` in the folder against its heads. Throws ModelLoadError saying what does not fit. */
  constructor(dir: string, file: unknown, heads: readonly DocumentHeadTarget[]) {
    const where = `${dir}/${String(file)}`;
    if (typeof file !== 'string' || path.isAbsolute(file) || file.includes('..')) throw new ModelLoadError(`${dir}/config.json document_head must name a file in the folder`);
    let spec: DocumentHeadSpec;
    try {
      spec = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    } catch (err) {
      throw new ModelLoadError(`${where} is not readable JSON: ${(err as Error).message}`, { cause: err });
    }
    const fail = (what: string): never => {
      throw new ModelLoadError(`${where}: ${what}`);
    };
    const indexOf = (name: unknown): number => {
      const at = heads.length === 1 && heads[0].name === undefined ? 0 : heads.findIndex((h) => h.name === name);
      return at >= 0 ? at : fail(`head ${JSON.stringify(name)} is not a sequence head of this model`);
    };
    const numbers = (v: unknown, n: number, what: string): Float64Array =>
      Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && Number.isFinite(x)) ? Float64Array.from(v) : fail(`${what} must be ${n} finite numbers`);

    const lex = spec?.lexical;
    const columns = lex ? lex.columns : [];
    if (!Array.isArray(columns) || !columns.every((c) => Number.isInteger(c) && c >= 0)) fail('lexical.columns must be token ids');
    this.column = new Int32Array(columns.reduce((m, id) => Math.max(m, id + 1), 0)).fill(-1);
    columns.forEach((id, j) => (this.column[id] = j));
    this.idf = lex ? numbers(lex.idf, columns.length, 'lexical.idf') : new Float64Array();
    this.lexical = Object.entries(lex?.heads ?? {}).map(([name, h]) => {
      const at = indexOf(name);
      const { classes } = heads[at];
      const rows = Array.isArray(h?.coef) && h.coef.length === classes ? h.coef : fail(`lexical.heads.${name}.coef must have ${classes} rows`);
      const coef = new Float64Array(classes * columns.length);
      rows.forEach((row, c) => coef.set(numbers(row, columns.length, `lexical.heads.${name}.coef[${c}]`), c * columns.length));
      return { at, classes, coef, bias: numbers(h.bias, classes, `lexical.heads.${name}.bias`) };
    });
    this.nested = (Array.isArray(spec?.nested) ? spec.nested : fail('nested must be a list')).map((p, i) => {
      const fine = indexOf(p?.fine);
      const coarse = indexOf(p?.coarse);
      const members = p.members;
      if (!(Array.isArray(members) && members.length === heads[fine].classes && members.every((c) => Number.isInteger(c) && c >= 0 && c < heads[coarse].classes))) {
        fail(`nested[${i}].members must give each of ${heads[fine].classes} fine labels a coarse label in [0, ${heads[coarse].classes})`);
      }
      if (!(typeof p.mix === 'number' && p.mix >= 0 && p.mix <= 1)) fail(`nested[${i}].mix must be in [0, 1]`);
      return { fine, coarse, members: Int32Array.from(members), mix: p.mix };
    });
  }

  /** Adds the head to `logits` (per head, the combined windows' logits; changed in place) for a text's tokens. */
  apply(tokens: Iterable<number>, logits: Float64Array[]): void {
    if (this.lexical.length > 0) this.addLexical(tokens, logits);
    for (const { fine, coarse, members, mix } of this.nested) {
      const lp = logSoftmax(logits[fine]);
      const out = logits[coarse];
      for (let c = 0; c < out.length; c++) {
        const inside = Array.from(lp, (v, f) => v + (members[f] === c ? 0 : OUTSIDE));
        const max = Math.max(...inside);
        const marginal = max + Math.log(inside.reduce((s, v) => s + Math.exp(v - max), 0));
        out[c] = (1 - mix) * out[c] + mix * marginal;
      }
    }
  }

  private addLexical(tokens: Iterable<number>, logits: Float64Array[]): void {
    const counts = new Map<number, number>();
    for (const t of tokens) {
      const j = t < this.column.length ? this.column[t] : -1;
      if (j >= 0) counts.set(j, (counts.get(j) ?? 0) + 1);
    }
    const cols = [...counts.keys()];
    const x = cols.map((j) => (1 + Math.log(counts.get(j)!)) * this.idf[j]);
    const norm = Math.max(Math.sqrt(x.reduce((s, v) => s + v * v, 0)), 1e-12);
    const width = this.idf.length;
    for (const { at, classes, coef, bias } of this.lexical) {
      for (let c = 0; c < classes; c++) {
        let z = 0;
        cols.forEach((j, k) => (z += coef[c * width + j] * x[k]));
        logits[at][c] += z / norm + bias[c];
      }
    }
  }
}

interface DocumentHeadSpec {
  lexical: { columns: number[]; idf: number[]; heads: Record<string, { coef: number[][]; bias: number[] }> } | null;
  nested: { fine: string; coarse: string; members: number[]; mix: number }[];
}

/** The text tokens a text's windows read, each once: per window, the `weights[k]` tokens it adds before its suffix. */
export function* documentTokens(sequences: readonly ArrayLike<number>[], weights: readonly number[], suffix: number): Generator<number> {
  for (let k = 0; k < sequences.length; k++) {
    const end = sequences[k].length - suffix;
    for (let i = end - weights[k]; i < end; i++) yield sequences[k][i];
  }
}
