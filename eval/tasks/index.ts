// The task registry: a task name -> the module that reads its data and predicts with the engine.
// To add one, write eval/tasks/<name>.ts exporting an EvalTask (text-classification.ts builds one for plain
// single-label tasks) and list it here.
import { EvalError } from '../data.js';
import type { EvalTask } from '../types.js';
import { custom } from './custom.js';
import { massive, snips } from './intent-slots.js';
import { newsgroups } from './newsgroups.js';
import { sst2 } from './sst2.js';

export const TASKS: Readonly<Record<string, EvalTask>> = { sst2, snips, massive, custom, [newsgroups.name]: newsgroups };

export function findTask(name: string): EvalTask {
  const task = Object.hasOwn(TASKS, name) ? TASKS[name] : undefined;
  if (!task) throw new EvalError(`unknown task '${name}' (tasks: ${Object.keys(TASKS).join(', ')})`);
  return task;
}
