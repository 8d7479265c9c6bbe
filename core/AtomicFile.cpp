#include "AtomicFile.h"

#include "Types.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace l2l {

void writeFileAtomically(const std::string& path, const std::string& contents)
{
    namespace fs = std::filesystem;
    const fs::path target(path);
    std::error_code ec;
    if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
    const std::string tmp = path + ".tmp" + std::to_string(::getpid());
    {
        std::FILE* f = std::fopen(tmp.c_str(), "wb");
        if (!f) throw Error("cannot write '" + path + "' (cannot create " + tmp + ")");
        const bool ok = std::fwrite(contents.data(), 1, contents.size(), f) == contents.size() && std::fflush(f) == 0 &&
                        ::fsync(fileno(f)) == 0;
        if (std::fclose(f) != 0 || !ok) {
            fs::remove(tmp, ec);
            throw Error("cannot write '" + path + "' (write failed; disk full?)");
        }
    }
    fs::rename(tmp, target, ec);
    if (ec) {
        fs::remove(tmp, ec);
        throw Error("cannot write '" + path + "' (rename failed: " + ec.message() + ")");
    }
}

std::string readFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("cannot read '" + path + "'" + (std::filesystem::exists(path) ? "" : " (no such file)"));
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

} // namespace l2l
