#include "preload.h"

#include <dlfcn.h>

namespace engine {

std::vector<PreloadOutcome> PreloadLibraries(const std::vector<std::string>& paths) {
  std::vector<PreloadOutcome> outcomes;
  outcomes.reserve(paths.size());
  for (const std::string& path : paths) {
    dlerror();
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);  // never closed: the provider holds on to it
    const char* error = handle ? nullptr : dlerror();
    outcomes.push_back({path, handle != nullptr, error ? error : ""});
  }
  return outcomes;
}

}  // namespace engine
