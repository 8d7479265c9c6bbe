#include "base/Resources.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

#ifndef L2L_RESOURCE_DIR
#define L2L_RESOURCE_DIR ""
#endif
#ifndef L2L_INSTALL_SHARE_REL
#define L2L_INSTALL_SHARE_REL "../share/l2l-studio"
#endif

namespace fs = std::filesystem;

namespace l2l {

std::string executableDir()
{
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string() : exe.parent_path().string();
}

std::string installedShareDir()
{
    // The running binary does not move: look once.
    static const std::string dir = [] {
        const std::string exeDir = executableDir();
        if (exeDir.empty()) return std::string();
        std::error_code ec;
        const fs::path share = (fs::path(exeDir) / L2L_INSTALL_SHARE_REL).lexically_normal();
        return fs::is_directory(share / "optimizers", ec) ? share.string() : std::string();
    }();
    return dir;
}

std::string resourceDir()
{
    if (const char* dir = std::getenv("L2L_RESOURCE_DIR"); dir && *dir) return dir;
    if (std::string installed = installedShareDir(); !installed.empty()) return installed;
    return L2L_RESOURCE_DIR;
}

} // namespace l2l
