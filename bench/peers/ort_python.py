"""Peer: ONNX Runtime from Python on the same ONNX file and token ids (driven by bench/peers/python.ts).

Reads one JSON job on stdin and prints one JSON result on stdout; it measures, it does not summarise (percentiles
are computed by the bench the same way for every contestant).

job: {model, threads, spinning, latencyMs, warmupMs, durationMs, workloads: [{name, ids: [[int]]}],
      latencyWorkloads: [name], throughput: {workload, concurrency: [int]}}
result: {version, latency: [{workload, samples: [ms]}],
         throughput: [{concurrency, perCaller, elapsedMs, samples: [ms]}]}

Throughput mirrors bench/throughput.ts: N threads (ONNX Runtime releases the GIL inside run) warm up for
warmupMs, then each sends the same number of requests, sized from the warm-up rate.
"""
import json
import sys
import threading
import time

import numpy as np
import onnxruntime as ort


def session(job):
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = job["threads"]
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if job["spinning"] else "0")
    return ort.InferenceSession(job["model"], options, providers=["CPUExecutionProvider"])


def feeder(sess):
    """One request the natural way: numpy arrays of shape [1, n] built from the ids, then run."""
    inputs = [(i.name, np.int32 if i.type == "tensor(int32)" else np.int64) for i in sess.get_inputs()]
    outputs = [sess.get_outputs()[0].name]

    def run(ids):
        n = len(ids)
        feeds = {}
        for name, dtype in inputs:
            if name == "input_ids":
                feeds[name] = np.asarray(ids, dtype=dtype)[None, :]
            elif name == "attention_mask":
                feeds[name] = np.ones((1, n), dtype=dtype)
            elif name == "position_ids":
                feeds[name] = np.arange(n, dtype=dtype)[None, :]
            else:
                feeds[name] = np.zeros((1, n), dtype=dtype)
        logits = sess.run(outputs, feeds)[0][0]
        e = np.exp(logits - logits.max())
        return e / e.sum()

    return run


def now_ms():
    return time.perf_counter() * 1000.0


def latency(run, items, warmup_ms, time_ms):
    k = 0
    end = now_ms() + warmup_ms
    while now_ms() < end or k < 2:
        run(items[k % len(items)])
        k += 1
    samples = []
    end = now_ms() + time_ms
    while now_ms() < end or len(samples) < 5:
        t = now_ms()
        run(items[k % len(items)])
        samples.append(now_ms() - t)
        k += 1
    return samples


def closed_loop(run, items, concurrency, warmup_ms, duration_ms):
    def phase(body):
        threads = [threading.Thread(target=body, args=(c,)) for c in range(concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    lock = threading.Lock()
    warm = {"count": 0}
    start = now_ms()
    warm_end = start + warmup_ms

    def warm_caller(c):
        k = c
        while k == c or now_ms() < warm_end:
            run(items[k % len(items)])
            k += concurrency
            with lock:
                warm["count"] += 1

    phase(warm_caller)
    per_ms = warm["count"] / (now_ms() - start)
    per_caller = max(1, round(per_ms * duration_ms / concurrency))
    samples = []

    # A request counts from the moment its caller could send it (its previous one settled, or the phase began) to
    # its result: with the GIL, the wait to get back into Python is part of what a caller experiences.
    t0 = now_ms()

    def caller(c):
        mine = []
        ready = t0
        for n in range(per_caller):
            run(items[(c + n * concurrency) % len(items)])
            done = now_ms()
            mine.append(done - ready)
            ready = done
        with lock:
            samples.extend(mine)

    phase(caller)
    return {"concurrency": concurrency, "perCaller": per_caller, "elapsedMs": now_ms() - t0, "samples": samples}


def main():
    job = json.load(sys.stdin)
    run = feeder(session(job))
    workloads = {w["name"]: w["ids"] for w in job["workloads"]}
    result = {"version": ort.__version__, "latency": [], "throughput": []}
    for name in job["latencyWorkloads"]:
        samples = latency(run, workloads[name], job["warmupMs"], job["latencyMs"])
        result["latency"].append({"workload": name, "samples": samples})
    items = workloads[job["throughput"]["workload"]]
    for c in job["throughput"]["concurrency"]:
        result["throughput"].append(closed_loop(run, items, c, job["warmupMs"], job["durationMs"]))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
