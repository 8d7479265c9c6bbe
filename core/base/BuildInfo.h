#pragma once
// What a build is: its instruction-set level, compiler and build type (set by CMake). Results are promised
// bit-identical across machines only for builds with the same description (see README, "Same numbers").
#include <string>

namespace l2l {

std::string buildInfo(); // e.g. "x86-64-v3, GNU 12.2.0, Release"
std::string archLevel(); // "x86-64-v3", "x86-64-v2", "x86-64-v4" or "native"

} // namespace l2l
