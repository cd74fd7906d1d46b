// Heads made from other heads, as data: `{ "category": { "from": "label", "map": { "alt.atheism": "alt", ... } } }`
// adds a head whose label is the map's value for the `from` head's label (no map: a copy, i.e. a renamed head).
// 20 Newsgroups' 7 categories are the 20 groups mapped to their roots (recipes/20ng-7class.json).
import { DataError, type Dataset, type Example, type HeadSpec } from './types.js';

export interface DerivedHead {
  /** The single-label sequence head it is made from. */
  from: string;
  /** Label of `from` -> label of the new head; every label of `from` must be in it. Absent: the same labels. */
  map?: Record<string, string>;
}

export type DeriveSpec = Record<string, DerivedHead>;

/** Checks the shape of a derive spec (from a recipe or --derive); `where` names it in messages. */
export function checkDeriveSpec(value: unknown, where: string): DeriveSpec {
  const fail = (problem: string): never => {
    throw new DataError('DATA_INVALID', where, problem);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('derive must be an object: {"<new head>": {"from": "<head>", "map": {...}}}');
  for (const [name, d] of Object.entries(value as object)) {
    if (typeof d !== 'object' || d === null || typeof (d as DerivedHead).from !== 'string') fail(`derived head '${name}' needs "from": "<head>"`);
    const map = (d as DerivedHead).map;
    if (map !== undefined && (typeof map !== 'object' || map === null || Array.isArray(map) || !Object.values(map).every((v) => typeof v === 'string' && v.trim() !== ''))) {
      fail(`derived head '${name}': "map" must be an object of label -> non-empty label`);
    }
  }
  return value as DeriveSpec;
}

/** Adds the derived heads to every example (and their specs); an unmapped label is an error naming it. */
export function deriveHeads(ds: Dataset, spec: DeriveSpec): Dataset {
  const heads: HeadSpec[] = [...ds.heads];
  const derived = Object.entries(spec).map(([name, d]) => {
    const from = ds.heads.find((h) => h.name === d.from);
    if (!from || from.kind !== 'sequence' || from.problemType === 'multi_label_classification') {
      throw new DataError('DATA_INCOMPATIBLE', ds.file, `derived head '${name}' is made from '${d.from}', which is not a single-label head of the data (${ds.heads.map((h) => h.name).join(', ')})`);
    }
    if (ds.heads.some((h) => h.name === name)) throw new DataError('DATA_INCOMPATIBLE', ds.file, `derived head '${name}' already exists in the data`);
    const unmapped = d.map ? from.labels.filter((l) => d.map![l] === undefined) : [];
    if (unmapped.length) throw new DataError('DATA_INVALID', ds.file, `derived head '${name}': the map has no entry for '${d.from}' label(s) ${unmapped.join(', ')}`);
    const of = (label: string) => (d.map ? d.map[label] : label);
    heads.push({ name, kind: 'sequence', problemType: 'single_label_classification', labels: [...new Set(from.labels.map(of))].sort() });
    return { name, from: d.from, of };
  });
  const examples = ds.examples.map((e): Example => ({
    ...e,
    heads: { ...e.heads, ...Object.fromEntries(derived.map((d) => [d.name, d.of(e.heads[d.from] as string)])) },
  }));
  return { ...ds, heads, examples };
}
