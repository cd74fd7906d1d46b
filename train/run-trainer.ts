// Runs the one Python trainer (niced by default) and relays its log: the progress lines carry steps/s and an ETA.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

export const TRAINER = path.join('train', 'python', 'train.py');
/** train.py's exit code when SIGINT/SIGTERM stopped it after a checkpoint (the same command resumes). */
export const INTERRUPTED = 75;

export interface TrainerRun {
  python: string;
  root: string;
  args: string[];
  nice: boolean;
  /** Each log line of the trainer (stdout and stderr). */
  onLine: (line: string) => void;
}

export function runTrainer(r: TrainerRun): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const argv = [path.join(r.root, TRAINER), ...r.args];
  const [cmd, args] = r.nice ? ['nice', ['-n', '10', r.python, ...argv]] : [r.python, argv];
  const child = spawn(cmd, args, { cwd: r.root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1' } });
  // Ctrl-C reaches the child through the terminal's process group; a SIGTERM sent to this process only is passed on,
  // so the trainer checkpoints before the CLI exits.
  const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
  const onTerm = forward('SIGTERM');
  const onInt = forward('SIGINT');
  process.on('SIGTERM', onTerm).on('SIGINT', onInt);
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', r.onLine);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      process.off('SIGTERM', onTerm).off('SIGINT', onInt);
      resolve({ code, signal });
    });
  });
}
