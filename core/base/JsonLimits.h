#pragma once
// JSON from files that come from strangers: nlohmann's parser, its destructor and dump() recurse once per
// nesting level, so a file of 100,000 '[' overflows the stack. The text is scanned for its nesting depth
// before it is parsed (strings and escapes skipped), and a parse error is reported with the file named and
// the library's message cut short.
#include <nlohmann/json.hpp>

#include <string>

namespace l2l {

// Every file format of the project nests 4 levels at most.
constexpr int kMaxJsonDepth = 64;

// Byte limits of each file kind (README, "Files from strangers").
constexpr std::size_t kMaxOptimizerFileBytes = std::size_t(64) << 20;
constexpr std::size_t kMaxExperimentFileBytes = std::size_t(32) << 20; // with results
constexpr std::size_t kMaxCheckpointFileBytes = std::size_t(256) << 20;
constexpr std::size_t kMaxTuningCacheBytes = std::size_t(64) << 20;

// The integer at `v`, if it is a JSON integer in [lo, hi] (no wrap-around, no truncation of 1.5); else throws
// l2l::Error 'key "KEY" must be an integer in [lo, hi], got ...'.
long long jsonIntegerIn(const nlohmann::json& v, const std::string& key, long long lo, long long hi);

// The version of a file whose top level is an object with "format": FORMAT and an integer "version"; else throws
// l2l::Error("WHERE is not KIND (no \"format\": \"FORMAT\")" / "WHERE has no integer \"version\"").
int jsonFormatVersion(const nlohmann::json& doc, const std::string& where, const std::string& format,
                      const std::string& kind);

// Throws l2l::Error("WHERE is nested deeper than ... " / "WHERE is not valid JSON (...)").
nlohmann::json parseJsonLimited(const std::string& text, const std::string& where, int maxDepth = kMaxJsonDepth);

} // namespace l2l
