// The command-line flags that say how to read a data file, shared by every CLI that reads one (eval, train).
import { existsSync, readFileSync } from 'node:fs';
import { DataError, FORMATS, type Format, type ReadOptions } from './types.js';

/** For node:util parseArgs `options`. */
export const DATA_FLAGS = {
  format: { type: 'string' },
  'text-column': { type: 'string' },
  'label-column': { type: 'string' },
  'label-delimiter': { type: 'string' },
  'label-columns': { type: 'string' },
  columns: { type: 'string' },
  'label-names': { type: 'string' },
  'token-head': { type: 'string' },
} as const;

export const DATA_FLAGS_USAGE = `  --format <f>          auto (default: by extension and content), ${FORMATS.join(', ')}
  --text-column <c>     CSV/TSV text column (default: text, sentence, utterance, ...); a+b joins two columns
  --label-column <c>    CSV/TSV label column (default: label, labels, intent, category, ...)
  --label-delimiter <s> the label column holds several labels split by <s> (multi-label)
  --label-columns a,b   several 0/1 columns, one per label (multi-label)
  --columns a,b,c       the file has no header row: these are its column names
  --label-names <x>     raw label -> name: "1=World,2=Sports" or a file with one name per line (ids from 0)
  --token-head <name>   the span head's name (default slots)`;

type Values = Partial<Record<keyof typeof DATA_FLAGS, string>>;

export function readOptionsFromFlags(values: Values): ReadOptions {
  const list = (v?: string) => v?.split(',').map((s) => s.trim()).filter(Boolean);
  const options: ReadOptions = {};
  if (values.format) options.format = values.format as Format | 'auto';
  if (values['text-column']) options.textColumn = values['text-column'];
  if (values['label-column']) options.labelColumn = values['label-column'];
  if (values['label-delimiter']) options.labelDelimiter = values['label-delimiter'];
  if (values['label-columns']) options.labelColumns = list(values['label-columns']);
  if (values.columns) options.columns = list(values.columns);
  if (values['label-names']) options.labelNames = labelNames(values['label-names']);
  if (values['token-head']) options.tokenHead = values['token-head'];
  return options;
}

function labelNames(value: string): Record<string, string> {
  if (existsSync(value)) {
    const names = readFileSync(value, 'utf8').split(/\r?\n/).map((l) => l.trim());
    while (names.at(-1) === '') names.pop();
    return Object.fromEntries(names.map((n, i) => [String(i), n]));
  }
  return Object.fromEntries(
    value.split(',').map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new DataError('DATA_FORMAT', '--label-names', `takes raw=name pairs or a file of names (one a line, ids from 0), got ${JSON.stringify(pair)}`);
      return [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
    }),
  );
}
