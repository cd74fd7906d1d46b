// After `npm run train -- --data examples/rasa-demo.yml --out models/my-assistant`:
//   node dist/examples/my-assistant.js [model dir] ["text" ...]
// parses utterances with the trained intent + entity model (README: "Train on your data").
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadParser } from '../lib/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const [dir = path.join(root, 'models/my-assistant'), ...args] = process.argv.slice(2);
const texts = args.length > 0 ? args : ['will it rain in Vienna tomorrow', 'book me a flight to Lisbon on friday', 'hello there'];

const nlu = await loadParser<{ intent: 'sequence'; slots: 'token' }>(dir);
for (const text of texts) {
  const r = await nlu.parse(text);
  const slots = r.slots.map((s) => `${s.slot}=${JSON.stringify(s.value)}`).join(' ');
  console.log(`${String(r.intent.label).padEnd(14)} ${r.intent.score.toFixed(2)}  ${slots.padEnd(36)} ${text}`);
}
await nlu.dispose();
