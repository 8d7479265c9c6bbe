#pragma once
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace l2l {
// Writes `contents` to `path` through a temporary file in the same directory and a rename, so a crash
// mid-write leaves the previous file intact. Creates missing parent directories. A symbolic link is followed
// (its target is replaced, the link kept); a path that is a directory, FIFO, device or socket is refused and
// left untouched; temporary files left by killed saves of this name are removed. Throws l2l::Error.
void writeFileAtomically(const std::string& path, const std::string& contents);
// Throws l2l::Error (naming `what` and the path) if writeFileAtomically(path, ...) would be refused or could
// not create the file: a directory, FIFO, device or socket, or a folder that cannot be written. For checks
// before a long run, so that nothing (not even a checkpoint) is written beside an output that would fail.
void checkOutputPath(const std::string& path, const std::string& what);
// Throws l2l::Error naming both flags if two of `outputs` ({path, what}; empty paths skipped) are the same file
// (after following links, as written) or both "-" (standard output), where one would silently replace the other.
void checkDistinctOutputs(const std::vector<std::pair<std::string, std::string>>& outputs);
// Throws l2l::Error naming both if one of `outputs` ({path, what}; empty paths and "-" skipped) is the same file as
// one of `inputs` ({path, what}: a file the command reads, e.g. "read as the optimizer file of --optimizers"), which the
// output would replace (eval --json o.json on the optimizer it evaluates). Compared by file identity (after links
// and hard links); an output that does not exist yet cannot be an input.
void checkOutputsSpareInputs(const std::vector<std::pair<std::string, std::string>>& outputs,
                             const std::vector<std::pair<std::string, std::string>>& inputs);
// Reads a whole regular file of at most maxBytes; throws l2l::Error naming the file if it cannot be read, is
// not a regular file (a device such as /dev/zero or a FIFO would be read without end) or is larger. The size
// is checked before anything is read or allocated.
constexpr std::size_t kDefaultMaxFileBytes = std::size_t(256) << 20;
std::string readFile(const std::string& path, std::size_t maxBytes = kDefaultMaxFileBytes);
// A short, printable excerpt of a value for an error message (at most n characters, then "...").
std::string excerpt(const std::string& text, std::size_t n = 80);
} // namespace l2l
