// The server under load runs in a child process (its own event loop and cores), as it would in production.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ServerChild {
  base: string;
  process: ChildProcess;
  /** /metrics as text; reading it also resets the event-loop lag histogram (prom-client does on collect). */
  metrics(): Promise<string>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'cli.js');

/** Starts `serve/cli.js` on 127.0.0.1 with any free port and waits until it is ready. */
export async function startServer(args: string[], options: { nice?: number } = {}): Promise<ServerChild> {
  const argv = [cli, ...args, '--host', '127.0.0.1', '--port', '0', '--log-level', 'warn'];
  const child = options.nice ? spawn('nice', ['-n', String(options.nice), process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c) => (stdout += c));
  child.stderr!.setEncoding('utf8').on('data', (c) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const base = await new Promise<string>((resolve, reject) => {
    const check = setInterval(() => {
      const m = stdout.match(/listening on (http:\/\/\S+)/);
      if (m) (clearInterval(check), resolve(m[1]));
    }, 20);
    exited.then((code) => (clearInterval(check), reject(new Error(`server exited (${code}) before listening: ${stderr.trim()}`))));
  });
  for (let i = 0; (await get(`${base}/ready`)).status !== 200; i++) {
    if (i > 600) throw new Error('server not ready after 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    process: child,
    metrics: async () => (await get(`${base}/metrics`)).body,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

export function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c) => (body += c)).on('end', () => resolve({ status: res.statusCode!, body }));
    }).on('error', reject);
  });
}

/** One sample of a Prometheus text, e.g. metric(text, 'nodejs_eventloop_lag_p99_seconds'). */
export function metric(text: string, name: string): number {
  const m = text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm'));
  return m ? Number(m[1]) : NaN;
}
