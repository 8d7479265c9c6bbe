#pragma once
// The readers of files from strangers, as fuzz targets: each takes arbitrary bytes and must either accept them or
// refuse them with l2l::Error -- never crash, hang, allocate without bound or throw anything else. Used by the
// libFuzzer binaries (fuzz_main.cpp, built by scripts/fuzz.sh with clang) and by test_fuzz_replay, which runs
// every input committed under tests/fuzz/corpus/<target>/ in the normal build.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace l2l::fuzz {

struct Target {
    const char* name;
    void (*run)(const std::uint8_t* data, std::size_t size);
};

const std::vector<Target>& targets();

} // namespace l2l::fuzz
