// The plain structs that travel between the JS thread and the batcher's worker thread (no Node-API here).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "errors.h"

namespace engine {

using Clock = std::chrono::steady_clock;

struct Request {
  uint64_t id = 0;
  std::vector<int64_t> ids;       // token ids, already truncated by the caller
  std::vector<int64_t> type_ids;  // empty: all zeros
  Clock::time_point enqueued;
  Clock::time_point deadline = Clock::time_point::max();
};

// One model output for one request, batch dimension removed; token outputs are cut to the request's length.
struct OutputSlice {
  std::string name;
  std::vector<int64_t> dims;
  std::vector<float> data;
};

struct Result {
  uint64_t id = 0;
  bool ok = true;
  ErrorCode code = ErrorCode::Inference;
  std::string message;
  std::vector<OutputSlice> outputs;
  double queue_ms = 0;
  double infer_ms = 0;
  int batch_size = 0;
};

inline double MillisBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

}  // namespace engine
