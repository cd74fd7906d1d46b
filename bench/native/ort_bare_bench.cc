// The floor for the engine's overhead: a bare ONNX Runtime C++ Run on the tensors the engine would build.
//
// usage: ort_bare_bench MODEL BATCH SEQ_LEN ITERATIONS INTRA_OP_THREADS [--ids 101,2023,...] [--warmup N]
//                       [--spinning 0|1] [--opt disabled|basic|extended|all] [--provider cpu|cuda|tensorrt]
//
// Builds int64 (or int32, as the model declares) input_ids / attention_mask / token_type_ids / position_ids of
// shape [BATCH, SEQ_LEN] once, warms up, then times ITERATIONS calls of Session::Run. `--ids` gives the token ids
// of one row (SEQ_LEN is then their count), so the engine and this program see identical tensors; without it the
// ids are a fixed pseudo-random sequence framed by [CLS]=101 ... [SEP]=102. Session options mirror the engine's
// defaults: graph optimisation 'all', spinning on, inter-op threads left to ONNX Runtime.
//
// It also times, separately, what the engine does per request that a caller of Run with ready tensors does not:
// copying int32 ids into freshly allocated int64 tensors and copying the first output out (`copy_*`).
//
// `--provider cuda|tensorrt` appends that execution provider (device 0): the bench's bare batched GPU Run, the limit
// the engine's GPU rows are compared with. Each timed Run then includes the host<->device copies, as the engine's do.
//
// Prints one JSON object to stdout; errors go to stderr with exit status 1 (usage) or 2 (ONNX Runtime).
#include <onnxruntime_cxx_api.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string model;
  int64_t batch = 1;
  int64_t seq_len = 32;
  int iterations = 200;
  int threads = 0;
  int warmup = 20;
  bool spinning = true;
  GraphOptimizationLevel opt = ORT_ENABLE_ALL;
  std::vector<int64_t> ids;  // one row; empty: generated
  std::string provider = "cpu";
};

[[noreturn]] void Usage(const std::string& why) {
  std::fprintf(stderr,
               "ort_bare_bench: %s\nusage: ort_bare_bench MODEL BATCH SEQ_LEN ITERATIONS INTRA_OP_THREADS "
               "[--ids a,b,c] [--warmup N] [--spinning 0|1] [--opt disabled|basic|extended|all]\n",
               why.c_str());
  std::exit(1);
}

long ParseInt(const char* s, const char* what, long min) {
  char* end = nullptr;
  long v = std::strtol(s, &end, 10);
  if (!end || *end != '\0' || v < min) Usage(std::string(what) + " must be an integer >= " + std::to_string(min) + ", got '" + s + "'");
  return v;
}

Args Parse(int argc, char** argv) {
  if (argc < 6) Usage("expected 5 positional arguments");
  Args a;
  a.model = argv[1];
  a.batch = ParseInt(argv[2], "BATCH", 1);
  a.seq_len = ParseInt(argv[3], "SEQ_LEN", 1);
  a.iterations = static_cast<int>(ParseInt(argv[4], "ITERATIONS", 1));
  a.threads = static_cast<int>(ParseInt(argv[5], "INTRA_OP_THREADS", 0));
  for (int i = 6; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) Usage(flag + " needs a value");
    const char* value = argv[++i];
    if (flag == "--warmup") {
      a.warmup = static_cast<int>(ParseInt(value, "--warmup", 0));
    } else if (flag == "--spinning") {
      a.spinning = ParseInt(value, "--spinning", 0) != 0;
    } else if (flag == "--ids") {
      std::stringstream list(value);
      std::string item;
      while (std::getline(list, item, ',')) a.ids.push_back(ParseInt(item.c_str(), "--ids item", 0));
      if (a.ids.empty()) Usage("--ids is empty");
      a.seq_len = static_cast<int64_t>(a.ids.size());
    } else if (flag == "--provider") {
      a.provider = value;
      if (a.provider != "cpu" && a.provider != "cuda" && a.provider != "tensorrt") Usage("--provider must be cpu, cuda or tensorrt");
    } else if (flag == "--opt") {
      std::string v = value;
      if (v == "disabled") a.opt = ORT_DISABLE_ALL;
      else if (v == "basic") a.opt = ORT_ENABLE_BASIC;
      else if (v == "extended") a.opt = ORT_ENABLE_EXTENDED;
      else if (v == "all") a.opt = ORT_ENABLE_ALL;
      else Usage("--opt must be disabled, basic, extended or all");
    } else {
      Usage("unknown flag " + flag);
    }
  }
  return a;
}

std::vector<int64_t> RowIds(const Args& a) {
  if (!a.ids.empty()) return a.ids;
  std::vector<int64_t> row(static_cast<size_t>(a.seq_len));
  uint32_t state = 12345;
  for (auto& id : row) {
    state = state * 1664525u + 1013904223u;
    id = 1000 + static_cast<int64_t>(state % 20000);
  }
  row.front() = 101;
  if (row.size() > 1) row.back() = 102;
  return row;
}

// What each model input gets for a given token of a row.
int64_t ValueFor(const std::string& name, const std::vector<int64_t>& row, size_t i) {
  if (name == "input_ids") return row[i];
  if (name == "attention_mask") return 1;
  if (name == "position_ids") return static_cast<int64_t>(i);
  return 0;  // token_type_ids and anything else integer
}

struct Input {
  std::string name;
  ONNXTensorElementDataType type;
};

Ort::Value MakeTensor(OrtAllocator* alloc, const Input& in, const std::vector<int64_t>& row, int64_t batch) {
  const int64_t shape[2] = {batch, static_cast<int64_t>(row.size())};
  Ort::Value v = Ort::Value::CreateTensor(alloc, shape, 2, in.type);
  const size_t n = row.size();
  for (int64_t b = 0; b < batch; ++b) {
    for (size_t i = 0; i < n; ++i) {
      const int64_t x = ValueFor(in.name, row, i);
      if (in.type == ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64) v.GetTensorMutableData<int64_t>()[b * n + i] = x;
      else v.GetTensorMutableData<int32_t>()[b * n + i] = static_cast<int32_t>(x);
    }
  }
  return v;
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const double rank = p / 100.0 * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(rank);
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - static_cast<double>(lo));
}

std::string Stats(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  const double mean = std::accumulate(ms.begin(), ms.end(), 0.0) / static_cast<double>(ms.size());
  char buf[256];
  std::snprintf(buf, sizeof buf, "{\"p50\":%.6f,\"p90\":%.6f,\"p99\":%.6f,\"max\":%.6f,\"min\":%.6f,\"mean\":%.6f}",
                Percentile(ms, 50), Percentile(ms, 90), Percentile(ms, 99), ms.back(), ms.front(), mean);
  return buf;
}

double MillisSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

}  // namespace

int main(int argc, char** argv) {
  const Args args = Parse(argc, argv);
  try {
    Ort::Env env(ORT_LOGGING_LEVEL_ERROR, "ort_bare_bench");
    Ort::SessionOptions options;
    options.SetGraphOptimizationLevel(args.opt);
    if (args.threads > 0) options.SetIntraOpNumThreads(args.threads);
    options.AddConfigEntry("session.intra_op.allow_spinning", args.spinning ? "1" : "0");
    if (args.provider == "cuda") {
      OrtCUDAProviderOptions cuda{};
      options.AppendExecutionProvider_CUDA(cuda);
    } else if (args.provider == "tensorrt") {
      OrtTensorRTProviderOptions trt{};
      options.AppendExecutionProvider_TensorRT(trt);
    }
    Ort::Session session(env, args.model.c_str(), options);

    Ort::AllocatorWithDefaultOptions alloc;
    std::vector<Input> inputs;
    std::vector<std::string> output_names;
    for (size_t i = 0; i < session.GetInputCount(); ++i) {
      auto type = session.GetInputTypeInfo(i).GetTensorTypeAndShapeInfo().GetElementType();
      inputs.push_back({session.GetInputNameAllocated(i, alloc).get(), type});
    }
    for (size_t i = 0; i < session.GetOutputCount(); ++i) output_names.push_back(session.GetOutputNameAllocated(i, alloc).get());
    std::vector<const char*> in_names, out_names;
    for (const auto& in : inputs) in_names.push_back(in.name.c_str());
    for (const auto& o : output_names) out_names.push_back(o.c_str());

    const std::vector<int64_t> row = RowIds(args);
    std::vector<Ort::Value> values;
    for (const auto& in : inputs) values.push_back(MakeTensor(alloc, in, row, args.batch));
    Ort::RunOptions run_options{nullptr};
    auto run = [&] {
      return session.Run(run_options, in_names.data(), values.data(), values.size(), out_names.data(), out_names.size());
    };

    for (int i = 0; i < args.warmup; ++i) run();
    std::vector<double> run_ms;
    run_ms.reserve(static_cast<size_t>(args.iterations));
    size_t out_floats = 0;
    std::vector<Ort::Value> last;
    for (int i = 0; i < args.iterations; ++i) {
      const auto t = Clock::now();
      last = run();
      run_ms.push_back(MillisSince(t));
    }
    auto out_info = last.front().GetTensorTypeAndShapeInfo();
    // float16 logits are half the bytes; the engine widens them, which costs about what copying them as float does.
    const bool half = out_info.GetElementType() == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16;
    out_floats = out_info.GetElementCount() / (half ? 2 : 1);

    // The engine's per-request copies: int32 ids -> new int64 tensors in, first output -> a fresh vector out.
    std::vector<int32_t> ids32(row.begin(), row.end());
    std::vector<double> copy_ms;
    const float* out = last.front().GetTensorData<float>();
    volatile float sink = 0;
    for (int i = 0; i < args.iterations; ++i) {
      const auto t = Clock::now();
      std::vector<int64_t> widened(ids32.begin(), ids32.end());
      std::vector<Ort::Value> fresh;
      for (const auto& in : inputs) fresh.push_back(MakeTensor(alloc, in, widened, args.batch));
      std::vector<float> copied(out, out + out_floats);
      sink = sink + copied.back();
      copy_ms.push_back(MillisSince(t));
    }

    std::printf("{\"provider\":\"%s\",\"batch\":%lld,\"seqLen\":%lld,\"iterations\":%d,\"warmup\":%d,"
                "\"intraOpThreads\":%d,\"allowSpinning\":%s,\"ortVersion\":\"%s\",\"inputs\":[",
                args.provider.c_str(), static_cast<long long>(args.batch), static_cast<long long>(args.seq_len),
                args.iterations, args.warmup, args.threads, args.spinning ? "true" : "false",
                Ort::GetVersionString().c_str());
    for (size_t i = 0; i < inputs.size(); ++i) std::printf("%s\"%s\"", i ? "," : "", inputs[i].name.c_str());
    std::printf("],\"runMs\":%s,\"copyMs\":%s}\n", Stats(run_ms).c_str(), Stats(copy_ms).c_str());
  } catch (const Ort::Exception& e) {
    std::fprintf(stderr, "ort_bare_bench: ONNX Runtime error: %s\n", e.what());
    return 2;
  }
  return 0;
}
