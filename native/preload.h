// Loading shared libraries by absolute path before ONNX Runtime needs them (no Node-API here).
#pragma once

#include <string>
#include <vector>

namespace engine {

struct PreloadOutcome {
  std::string path;
  bool ok;
  std::string error;  // dlerror() when !ok
};

// dlopen(path, RTLD_NOW | RTLD_GLOBAL) each path, in order, and keep it loaded for the life of the process.
// Why: libonnxruntime_providers_cuda.so names libcudart.so.13, libcublas.so.13, ... by soname only; once a library
// of that soname is loaded, the loader reuses it instead of searching LD_LIBRARY_PATH. This is how PyTorch finds
// the pip-installed nvidia-* wheels. Paths that fail (e.g. a dependency not loaded yet) are reported, not fatal.
std::vector<PreloadOutcome> PreloadLibraries(const std::vector<std::string>& paths);

}  // namespace engine
