#pragma once
#include <string>

namespace l2l {
// Writes `contents` to `path` through a temporary file in the same directory and a rename, so a crash
// mid-write leaves the previous file intact. Creates missing parent directories. Throws l2l::Error.
void writeFileAtomically(const std::string& path, const std::string& contents);
// Reads a whole file; throws l2l::Error naming the file if it cannot be read.
std::string readFile(const std::string& path);
} // namespace l2l
