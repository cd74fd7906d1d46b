// A read-only string -> id table for WordPiece lookups: open addressing over one flat array. The tokenizer spends
// most of its time here (a lookup per candidate piece, most of them misses), and std::unordered_map's node per
// entry and its generic hash made that cost a cache miss each (perf on the SST-2 dev texts: ~40 % of encode).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace engine {

class VocabTable {
 public:
  // Keys must outlive the table (they view the tokenizer's vocabulary). A key already present keeps its first id.
  void Insert(std::string_view key, int32_t id) {
    if (keys_.size() * 2 >= slots_.size()) Grow();
    Place(key, id);
  }

  // The id of `key`, or -1.
  int32_t Find(std::string_view key) const {
    if (slots_.empty()) return -1;
    const uint64_t h = Hash(key);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.id < 0) return -1;
      if (s.hash == h && keys_[s.key] == key) return s.id;
    }
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t key = 0;  // index into keys_
    int32_t id = -1;   // -1: empty
  };

  static uint64_t Hash(std::string_view key) {  // FNV-1a: short keys, few cycles per byte
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : key) h = (h ^ c) * 1099511628211ull;
    return h;
  }

  void Place(std::string_view key, int32_t id) {
    const uint64_t h = Hash(key);
    size_t i = h & mask_;
    for (; slots_[i].id >= 0; i = (i + 1) & mask_) {
      if (slots_[i].hash == h && keys_[slots_[i].key] == key) return;
    }
    slots_[i] = {h, static_cast<uint32_t>(keys_.size()), id};
    keys_.push_back(key);
  }

  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    std::vector<std::string_view> keys = std::move(keys_);
    slots_.assign(old.empty() ? 64 : old.size() * 2, Slot{});
    mask_ = slots_.size() - 1;
    keys_.clear();
    for (const Slot& s : old) {
      if (s.id >= 0) Place(keys[s.key], s.id);
    }
  }

  std::vector<Slot> slots_;
  std::vector<std::string_view> keys_;
  size_t mask_ = 0;
};

}  // namespace engine
