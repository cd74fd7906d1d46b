// The dynamic batcher: a bounded queue and worker threads (one by default) that form length-bucketed batches and
// run them; with several workers, several batches are in flight on the (thread-safe) session.
// It knows nothing of Node-API or of the model: it is handed a run function and a delivery function.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "options.h"
#include "request.h"

namespace engine {

struct BatcherStats {
  size_t queued = 0;
  size_t running = 0;
  size_t peak_running = 0;  // the most requests ever running at once (several workers: above one batch)
  uint64_t batches = 0;
  uint64_t requests = 0;
  uint64_t lone_batches = 0;  // batches that started while no other batch ran and nothing else was queued
};

class Batcher {
 public:
  // Runs one batch on the worker thread; returns each request's outputs in order, or throws EngineError. `lone`:
  // no other batch is running and nothing else is queued, so this batch may use every core.
  using RunFn = std::function<std::vector<std::vector<OutputSlice>>(const std::vector<Request*>&, bool lone)>;
  // Hands settled requests to whoever owns the callers (called on the worker thread).
  using DeliverFn = std::function<void(std::vector<Result>&&)>;
  // Called once on the worker thread after Close(), when the last batch has been delivered.
  using ClosedFn = std::function<void()>;

  Batcher(const BatchConfig& config, RunFn run, DeliverFn deliver, ClosedFn closed);
  ~Batcher();

  // False when the queue is full or the batcher is closed; the caller rejects the request.
  bool Submit(std::unique_ptr<Request> request);
  // True when the request was still queued and is now dropped (it will never run or be delivered).
  bool Cancel(uint64_t id);
  // Stops accepting work and returns the ids of queued requests dropped; the batch in flight still finishes.
  std::vector<uint64_t> Close();
  // While paused, no worker starts a round, so requests submitted meanwhile are taken together (up to
  // maxBatchSize) once Resume() is called, however fast a worker would otherwise wake.
  void Pause();
  void Resume();
  void Join();
  BatcherStats Stats();

 private:
  void Loop();
  // Polls for work up to config_.spin_us before the worker sleeps: a request that arrives meanwhile skips the
  // condition variable's sleep/wake round trip.
  void SpinForWork();
  std::vector<std::unique_ptr<Request>> TakeRound(std::unique_lock<std::mutex>& lock);
  void RunRound(std::vector<std::unique_ptr<Request>>& round);

  BatchConfig config_;
  RunFn run_;
  DeliverFn deliver_;
  ClosedFn closed_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Request>> queue_;
  std::atomic<size_t> queued_{0};  // queue_.size(), readable without the mutex (for SpinForWork)
  std::atomic<bool> stop_spinning_{false};
  bool closing_ = false;
  bool paused_ = false;
  BatcherStats stats_;
  std::vector<std::thread> workers_;
  size_t live_workers_ = 0;  // the last worker to leave reports closed_
  size_t runs_in_flight_ = 0;  // batches inside run_ now, over all workers
};

// Splits requests (sorted by length) into batches that respect the token budget and keep padding small.
std::vector<std::vector<Request*>> BucketByLength(std::vector<Request*> requests, const BatchConfig& config);

}  // namespace engine
