#include "batcher.h"

#include <algorithm>
#include <chrono>

namespace engine {

Batcher::Batcher(const BatchConfig& config, RunFn run, DeliverFn deliver, ClosedFn closed)
    : config_(config), run_(std::move(run)), deliver_(std::move(deliver)), closed_(std::move(closed)) {
  live_workers_ = config_.workers;
  for (size_t i = 0; i < config_.workers; ++i) workers_.emplace_back([this] { Loop(); });
}

Batcher::~Batcher() {
  Close();
  Join();
}

bool Batcher::Submit(std::unique_ptr<Request> request) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closing_ || queue_.size() >= config_.max_queue) return false;
    queue_.push_back(std::move(request));
    queued_.store(queue_.size(), std::memory_order_release);
  }
  wake_.notify_one();
  return true;
}

bool Batcher::Cancel(uint64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = std::find_if(queue_.begin(), queue_.end(), [id](const auto& r) { return r->id == id; });
  if (it == queue_.end()) return false;
  queue_.erase(it);
  queued_.store(queue_.size(), std::memory_order_release);
  return true;
}

std::vector<uint64_t> Batcher::Close() {
  std::vector<uint64_t> dropped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closing_ = true;
    for (const auto& r : queue_) dropped.push_back(r->id);
    queue_.clear();
    queued_.store(0, std::memory_order_release);
    stop_spinning_.store(true, std::memory_order_release);
  }
  wake_.notify_all();
  return dropped;
}

void Batcher::Pause() {
  std::lock_guard<std::mutex> lock(mutex_);
  paused_ = true;
}

void Batcher::Resume() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    paused_ = false;
  }
  wake_.notify_all();
}

void Batcher::Join() {
  for (std::thread& worker : workers_) {
    if (worker.joinable() && worker.get_id() != std::this_thread::get_id()) worker.join();
  }
}

BatcherStats Batcher::Stats() {
  std::lock_guard<std::mutex> lock(mutex_);
  BatcherStats s = stats_;
  s.queued = queue_.size();
  return s;
}

void Batcher::SpinForWork() {
  const auto until = Clock::now() + std::chrono::nanoseconds(static_cast<int64_t>(config_.spin_us * 1000));
  while (queued_.load(std::memory_order_acquire) == 0 && !stop_spinning_.load(std::memory_order_acquire) && Clock::now() < until) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
}

void Batcher::Loop() {
  for (;;) {
    std::vector<std::unique_ptr<Request>> round;
    if (config_.spin_us > 0) SpinForWork();
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return closing_ || (!paused_ && !queue_.empty()); });
      if (closing_ && queue_.empty()) break;
      round = TakeRound(lock);
      stats_.running += round.size();
      stats_.peak_running = std::max(stats_.peak_running, stats_.running);
    }
    RunRound(round);
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.running -= round.size();
  }
  bool last;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    last = --live_workers_ == 0;
  }
  if (last) closed_();
}

// Takes up to maxBatchSize requests, FIFO, after letting the first one wait up to maxWaitMs for company.
std::vector<std::unique_ptr<Request>> Batcher::TakeRound(std::unique_lock<std::mutex>& lock) {
  if (config_.max_wait_ms > 0 && queue_.size() < config_.max_batch_size) {
    auto until = queue_.front()->enqueued + std::chrono::microseconds(static_cast<int64_t>(config_.max_wait_ms * 1000));
    wake_.wait_until(lock, until, [this] { return closing_ || queue_.size() >= config_.max_batch_size; });
  }
  std::vector<std::unique_ptr<Request>> round;
  while (!queue_.empty() && round.size() < config_.max_batch_size) {
    round.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  queued_.store(queue_.size(), std::memory_order_release);
  return round;
}

void Batcher::RunRound(std::vector<std::unique_ptr<Request>>& round) {
  std::vector<Request*> requests;
  for (auto& r : round) requests.push_back(r.get());
  for (std::vector<Request*>& group : BucketByLength(std::move(requests), config_)) {
    // Requests whose deadline passed while queued (or behind an earlier group) are dropped before they run.
    const auto start = Clock::now();
    std::vector<Result> results;
    std::vector<Request*> live;
    for (Request* r : group) {
      if (r->deadline <= start) {
        Result res;
        res.id = r->id;
        res.ok = false;
        res.code = ErrorCode::DeadlineExceeded;
        res.message = "deadline exceeded after " + std::to_string(MillisBetween(r->enqueued, start)) + " ms in queue";
        results.push_back(std::move(res));
      } else {
        live.push_back(r);
      }
    }
    if (!live.empty()) {
      std::vector<std::vector<OutputSlice>> outputs;
      ErrorCode code = ErrorCode::Inference;
      std::string error;
      bool lone;
      {
        // Counted around this group's Run and results, not the round: a caller that answers a delivered batch with
        // its next request finds this worker done.
        std::lock_guard<std::mutex> lock(mutex_);
        lone = runs_in_flight_ == 0 && queue_.empty();
        ++runs_in_flight_;
      }
      try {
        outputs = run_(live, lone);
      } catch (const EngineError& e) {
        code = e.code();
        error = e.what();
      } catch (const std::exception& e) {
        error = e.what();
      }
      const auto end = Clock::now();
      for (size_t i = 0; i < live.size(); ++i) {
        Result res;
        res.id = live[i]->id;
        res.ok = error.empty();
        res.code = code;
        res.message = error;
        if (res.ok) res.outputs = std::move(outputs[i]);
        res.queue_ms = MillisBetween(live[i]->enqueued, start);
        res.infer_ms = MillisBetween(start, end);
        res.batch_size = static_cast<int>(live.size());
        results.push_back(std::move(res));
      }
      std::lock_guard<std::mutex> lock(mutex_);
      --runs_in_flight_;  // before the delivery, which may bring the next lone request
      stats_.batches += 1;
      stats_.lone_batches += lone ? 1 : 0;
      stats_.requests += live.size();
    }
    deliver_(std::move(results));
  }
}

std::vector<std::vector<Request*>> BucketByLength(std::vector<Request*> requests, const BatchConfig& config) {
  if (config.length_bucketing) {
    std::stable_sort(requests.begin(), requests.end(),
                     [](const Request* a, const Request* b) { return a->ids.size() < b->ids.size(); });
  }
  std::vector<std::vector<Request*>> groups;
  std::vector<Request*> current;
  size_t longest = 0, shortest = 0;  // of `current`
  for (Request* r : requests) {
    const size_t len = r->ids.size();
    if (!current.empty()) {
      const size_t new_longest = std::max(longest, len), new_shortest = std::min(shortest, len);
      const bool full = current.size() + 1 > config.max_batch_size || (current.size() + 1) * new_longest > config.max_batch_tokens;
      // Bound the padding a short text pays for a long one (only meaningful when the round is sorted).
      const bool too_ragged = config.length_bucketing && new_longest > 2 * new_shortest + 8;
      if (full || too_ragged) groups.push_back(std::move(current)), current.clear();
    }
    longest = current.empty() ? len : std::max(longest, len);
    shortest = current.empty() ? len : std::min(shortest, len);
    current.push_back(r);
  }
  if (!current.empty()) groups.push_back(std::move(current));
  return groups;
}

}  // namespace engine
