#include "wordpiece.h"

#include <algorithm>
#include <utility>

namespace engine {
namespace {

// lib/tokenize.ts's CHARS_PER_TOKEN_GUESS: a long text is tokenized by growing prefixes, and the truncated ids
// depend on where the prefix was cut (its last tokens), so the same cuts are made here.
constexpr size_t kCharsPerTokenGuess = 8;

// JavaScript's \s restricted to ASCII (what BertPreTokenizer, String.trim and cutAtSpace split on).
bool IsSpace(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// BertPreTokenizer's punctuation in ASCII: \p{P} plus every ASCII symbol (!"#$%&'()*+,-./ :;<=>?@ [\]^_` {|}~).
bool IsPunctuation(unsigned char c) {
  return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E);
}

// cutAtSpace in lib/tokenize.ts: the text up to the first whitespace in the 64 characters from `at`, else up to `at`.
size_t CutAtSpace(std::string_view text, size_t at) {
  if (at >= text.size()) return text.size();
  size_t end = std::min(text.size(), at + 64);
  for (size_t i = at; i < end; ++i) {
    if (IsSpace(static_cast<unsigned char>(text[i]))) return i;
  }
  return at;
}

}  // namespace

WordPiece::WordPiece(WordPieceConfig config) : config_(std::move(config)) {
  const std::string& prefix = config_.continuing_subword_prefix;
  for (size_t i = 0; i < config_.tokens.size(); ++i) {
    std::string_view token = config_.tokens[i];
    words_.Insert(token, config_.ids[i]);
    longest_word_ = std::max(longest_word_, token.size());
    if (token.size() > prefix.size() && token.compare(0, prefix.size(), prefix) == 0) {
      continuations_.Insert(token.substr(prefix.size()), config_.ids[i]);
      longest_continuation_ = std::max(longest_continuation_, token.size() - prefix.size());
    }
  }
  for (int32_t id : config_.special_ids) {
    if (id < 0) continue;
    if (static_cast<size_t>(id) >= special_.size()) special_.resize(id + 1, false);
    special_[id] = true;
  }
}

void WordPiece::Normalize(std::string_view text, std::string& out) const {
  out.clear();
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (config_.clean_text) {
      // \0 and the Cc controls go (\v and \f too: they are controls before they are whitespace); \t \n \r: spaces.
      if (c == '\t' || c == '\n' || c == '\r') c = ' ';
      else if (c < 0x20 || c == 0x7F) continue;
    }
    if (config_.lowercase && c >= 'A' && c <= 'Z') c = c - 'A' + 'a';
    out.push_back(static_cast<char>(c));
  }
}

void WordPiece::AppendPieces(std::string_view normalized, std::vector<int32_t>& out) const {
  size_t i = 0;
  while (i < normalized.size()) {
    auto c = static_cast<unsigned char>(normalized[i]);
    if (IsSpace(c)) {
      ++i;
    } else if (IsPunctuation(c)) {
      AppendWord(normalized.substr(i, 1), out);
      ++i;
    } else {
      size_t end = i;
      while (end < normalized.size() && !IsSpace(static_cast<unsigned char>(normalized[end])) &&
             !IsPunctuation(static_cast<unsigned char>(normalized[end]))) {
        ++end;
      }
      AppendWord(normalized.substr(i, end - i), out);
      i = end;
    }
  }
}

void WordPiece::AppendWord(std::string_view word, std::vector<int32_t>& out) const {
  // ASCII: bytes are characters, so the length is the character count the JS tokenizer compares.
  if (word.size() > config_.max_input_chars_per_word) {
    out.push_back(config_.unk_id);
    return;
  }
  const size_t first = out.size();
  size_t start = 0;
  while (start < word.size()) {
    const auto& table = start == 0 ? words_ : continuations_;
    const size_t longest = start == 0 ? longest_word_ : longest_continuation_;
    size_t end = std::min(word.size(), start + longest);
    bool found = false;
    for (; end > start; --end) {
      const int32_t id = table.Find(word.substr(start, end - start));
      if (id >= 0) {
        out.push_back(id);
        found = true;
        break;
      }
    }
    if (!found) {  // one piece missing: the whole word is [UNK]
      out.resize(first);
      out.push_back(config_.unk_id);
      return;
    }
    start = end;
  }
}

bool WordPiece::HoldsAddedToken(std::string_view text) const {
  for (const std::string& token : config_.added_tokens) {
    if (text.find(token) != std::string_view::npos) return true;
  }
  return false;
}

EncodeStatus WordPiece::Encode(std::string_view text, size_t limit, bool truncate, std::vector<int32_t>& out,
                                EncodeScratch& scratch) const {
  // Non-ASCII text needs Unicode normalization, categories and CJK handling: the JS tokenizer does those.
  for (char ch : text) {
    if (static_cast<unsigned char>(ch) >= 0x80) return EncodeStatus::kFallback;
  }
  // Normalization maps character by character here, so a prefix's normalized text is a prefix of this one: one
  // check covers every prefix tokenized below.
  std::string& normalized = scratch.normalized;
  Normalize(text, normalized);
  if (HoldsAddedToken(text) || HoldsAddedToken(normalized)) return EncodeStatus::kFallback;

  // TextTokenizer.encode: a text of more than limit * 8 characters is read by prefixes cut at whitespace, each twice
  // as long as the last, until one holds more than `limit` tokens or the whole text is read.
  const size_t specials = config_.prefix.size() + config_.suffix.size();
  if (limit <= specials) return EncodeStatus::kFallback;  // no room for text: leave the odd cases to the reference
  size_t cut = text.size() > limit * kCharsPerTokenGuess ? CutAtSpace(text, limit * kCharsPerTokenGuess) : text.size();
  std::vector<int32_t>& pieces = scratch.pieces;
  std::string& part = scratch.part;
  for (;;) {
    pieces.clear();
    if (cut < text.size()) Normalize(text.substr(0, cut), part);
    AppendPieces(cut < text.size() ? part : normalized, pieces);
    if (pieces.size() + specials > limit || cut >= text.size()) break;
    cut = CutAtSpace(text, cut * 2);
  }

  out.clear();
  out.reserve(pieces.size() + specials);
  out.insert(out.end(), config_.prefix.begin(), config_.prefix.end());
  out.insert(out.end(), pieces.begin(), pieces.end());
  out.insert(out.end(), config_.suffix.begin(), config_.suffix.end());
  if (out.size() <= limit) return EncodeStatus::kOk;
  if (!truncate) return EncodeStatus::kTooLong;

  // Keep the head and the trailing run of special ids, with JavaScript's slice(0, limit - run) semantics (a negative
  // end counts from the back), so even the degenerate cases match lib/tokenize.ts.
  const size_t n = out.size();
  size_t run = 0;
  while (run < n && out[n - 1 - run] >= 0 && static_cast<size_t>(out[n - 1 - run]) < special_.size() &&
         special_[out[n - 1 - run]]) {
    ++run;
  }
  const long long end = static_cast<long long>(limit) - static_cast<long long>(run);
  const size_t head = end >= 0 ? std::min(static_cast<size_t>(end), n) : static_cast<size_t>(std::max(0LL, static_cast<long long>(n) + end));
  std::vector<int32_t> kept(out.begin(), out.begin() + head);
  kept.insert(kept.end(), out.end() - run, out.end());
  out = std::move(kept);
  return EncodeStatus::kTruncated;
}

}  // namespace engine
