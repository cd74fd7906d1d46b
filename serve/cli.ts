// `npm run serve -- --model DIR [--model name=DIR ...] [--port 8080] [--host 127.0.0.1]` (flags in server.ts).
import { main } from './server.js';

main(process.argv.slice(2)).then((code) => {
  if (code >= 0) process.exit(code);
});
