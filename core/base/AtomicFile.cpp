#include "base/AtomicFile.h"

#include "base/Types.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <signal.h>
#include <sstream>
#include <unistd.h>

namespace l2l {

namespace {

namespace fs = std::filesystem;

// "a directory", "a FIFO", ... for a path that exists and is not a regular file; empty otherwise.
std::string nonRegularKind(const fs::path& p)
{
    std::error_code ec;
    const fs::file_status st = fs::status(p, ec); // follows symlinks
    if (ec || !fs::exists(st) || fs::is_regular_file(st)) return {};
    if (fs::is_directory(st)) return "a directory";
    if (fs::is_fifo(st)) return "a FIFO";
    if (fs::is_character_file(st) || fs::is_block_file(st)) return "a device";
    if (fs::is_socket(st)) return "a socket";
    return "not a regular file";
}

// Follows a chain of symbolic links to the path it finally names (which may not exist yet: a dangling link's
// target is where the file is created). More than 40 links is a loop.
fs::path resolveLinks(fs::path p, const std::string& path)
{
    std::error_code ec;
    for (int hops = 0; fs::is_symlink(fs::symlink_status(p, ec)); ++hops) {
        if (hops == 40) throw Error("cannot write '" + path + "': too many levels of symbolic links");
        const fs::path next = fs::read_symlink(p, ec);
        if (ec) throw Error("cannot write '" + path + "': cannot read the symbolic link (" + ec.message() + ")");
        p = next.is_absolute() ? next : p.parent_path() / next;
    }
    return p;
}

// A save killed between creating its temporary file and the rename leaves NAME.tmpPID behind: remove those
// of processes that no longer exist (another live process's temporary file is its own business).
void removeStaleTemporaries(const fs::path& target)
{
    std::error_code ec;
    const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    const std::string prefix = target.filename().string() + ".tmp";
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
        const std::string digits = name.substr(prefix.size());
        if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
        const long pid = std::stol(digits);
        if (pid <= 0 || pid == long(::getpid())) continue;
        if (::kill(pid_t(pid), 0) == 0 || errno != ESRCH) continue; // alive, or not ours to judge
        std::error_code rm;
        fs::remove(it->path(), rm);
    }
}

} // namespace

void writeFileAtomically(const std::string& path, const std::string& contents)
{
    if (path.empty()) throw Error("cannot write a file with an empty name");
    fs::path target(path);
    if (path.back() == '/') throw Error("cannot write '" + path + "': it names a directory, not a file");
    // A symlink is followed: its final target is replaced and the link stays a link.
    std::error_code ec;
    target = resolveLinks(target, path);
    if (const std::string kind = nonRegularKind(target); !kind.empty())
        throw Error("cannot write '" + path + "': it is " + kind + ", not a regular file (left untouched)");
    if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
    removeStaleTemporaries(target);
    const std::string tmp = target.string() + ".tmp" + std::to_string(::getpid());
    {
        const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
            throw Error("cannot write '" + path + "' (cannot create " + tmp + ": " + std::strerror(errno) + ")");
        std::FILE* f = ::fdopen(fd, "wb");
        if (!f) {
            ::close(fd);
            fs::remove(tmp, ec);
            throw Error("cannot write '" + path + "' (cannot open " + tmp + ")");
        }
        const bool ok = std::fwrite(contents.data(), 1, contents.size(), f) == contents.size() && std::fflush(f) == 0 &&
                        ::fsync(fileno(f)) == 0;
        if (std::fclose(f) != 0 || !ok) {
            fs::remove(tmp, ec);
            throw Error("cannot write '" + path + "' (write failed; disk full?)");
        }
    }
    if (::rename(tmp.c_str(), target.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        fs::remove(tmp, ec);
        throw Error("cannot write '" + path + "' (rename failed: " + why + ")");
    }
}

void checkOutputPath(const std::string& path, const std::string& what)
{
    const std::string where = what + " '" + path + "'";
    if (path.empty()) throw Error(what + ": empty file name");
    if (path.back() == '/') throw Error(where + ": names a directory, not a file");
    std::error_code ec;
    fs::path target(path);
    target = resolveLinks(target, path);
    if (const std::string kind = nonRegularKind(target); !kind.empty())
        throw Error(where + ": is " + kind + ", not a regular file");
    // The nearest existing folder must be a writable directory (missing ones are created when saving).
    // ("nd/a.json" with no folder nd: the current one, as for "./nd/a.json", not "'nd' is not a directory").
    fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    while (!fs::exists(dir, ec) && dir != fs::path("."))
        dir = dir.has_parent_path() && dir != dir.parent_path() ? dir.parent_path() : fs::path(".");
    if (!fs::is_directory(dir, ec)) throw Error(where + ": '" + dir.string() + "' is not a directory");
    if (::access(dir.c_str(), W_OK) != 0)
        throw Error(where + ": cannot write in '" + dir.string() + "' (" + std::strerror(errno) + ")");
}

void checkDistinctOutputs(const std::vector<std::pair<std::string, std::string>>& outputs)
{
    std::vector<std::pair<std::string, std::string>> seen; // {file as written, what}
    for (const auto& [path, what] : outputs) {
        if (path.empty()) continue;
        std::string file = path;
        if (path != "-") {
            std::error_code ec;
            const fs::path resolved = fs::weakly_canonical(resolveLinks(fs::path(path), path), ec);
            if (!ec) file = resolved.string();
        }
        for (const auto& [other, otherWhat] : seen)
            if (other == file)
                throw Error(
                    otherWhat + " and " + what +
                    (path == "-" ? " both write to standard output ('-')" : " name the same file '" + path + "'") +
                    ": one would replace the other; give each its own");
        seen.emplace_back(file, what);
    }
}

void checkOutputsSpareInputs(const std::vector<std::pair<std::string, std::string>>& outputs,
                             const std::vector<std::pair<std::string, std::string>>& inputs)
{
    for (const auto& [path, what] : outputs) {
        if (path.empty() || path == "-") continue;
        std::error_code ec;
        if (!fs::exists(path, ec)) continue;
        for (const auto& [input, inputWhat] : inputs) {
            if (input.empty() || input == "-") continue;
            std::error_code ec2;
            if (fs::equivalent(path, input, ec2) && !ec2)
                throw Error(what + " '" + path + "' is " + inputWhat + (input != path ? " ('" + input + "')" : "") +
                            ", which writing there would replace: give the output another file");
        }
    }
}

std::string readFile(const std::string& path, std::size_t maxBytes)
{
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) throw Error("cannot read '" + path + "' (no such file)");
    if (const std::string kind = nonRegularKind(path); !kind.empty())
        throw Error("cannot read '" + path + "': it is " + kind + ", not a regular file");
    const auto size = fs::file_size(path, ec);
    if (ec) throw Error("cannot read '" + path + "' (" + ec.message() + ")");
    if (size > maxBytes)
        throw Error("cannot read '" + path + "': " + std::to_string(size) + " bytes, more than the " +
                    std::to_string(maxBytes) + " this kind of file may have");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("cannot read '" + path + "'");
    std::string out(size, '\0');
    in.read(out.data(), std::streamsize(size));
    out.resize(std::size_t(in.gcount()));
    return out;
}

std::string excerpt(const std::string& text, std::size_t n)
{
    std::string out;
    for (char c : text.substr(0, n)) out += (c >= 32 && c < 127) ? c : '?';
    return text.size() > n ? out + "..." : out;
}

} // namespace l2l
