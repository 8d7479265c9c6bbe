#include "base/Memory.h"

#include "base/Types.h"

#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace l2l {

std::uint64_t availableMemoryBytes()
{
    std::ifstream in("/proc/meminfo");
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string key, unit;
        std::uint64_t kib = 0;
        if (fields >> key >> kib >> unit && key == "MemAvailable:") return kib * 1024;
    }
    return 0;
}

std::string formatBytes(std::uint64_t bytes)
{
    const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = double(bytes);
    int u = 0;
    while (v >= 1024 && u < 6) {
        v /= 1024;
        ++u;
    }
    char text[32];
    std::snprintf(text, sizeof text, u == 0 ? "%.0f %s" : (v < 10 ? "%.1f %s" : "%.0f %s"), v, units[u]);
    return text;
}

std::uint64_t mulBytes(std::uint64_t a, std::uint64_t b)
{
    if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a) return std::numeric_limits<std::uint64_t>::max();
    return a * b;
}

std::uint64_t addBytes(std::uint64_t a, std::uint64_t b)
{
    return b > std::numeric_limits<std::uint64_t>::max() - a ? std::numeric_limits<std::uint64_t>::max() : a + b;
}

void checkMemoryBudget(std::uint64_t estimate, int limitMiB, const std::string& what, const std::string& detail,
                       const std::string& advice)
{
    const std::uint64_t limit = limitMiB > 0 ? std::uint64_t(limitMiB) << 20 : availableMemoryBytes();
    if (limit == 0 || estimate <= limit) return;
    // Without a limit given (always in the studio, which has no such setting) the advice is what to change; the
    // command line's option is named last, as what it is.
    throw Error(
        what + " needs about " + formatBytes(estimate) + " (" + detail + "), more than the " + formatBytes(limit) +
        (limitMiB > 0
             ? " allowed by --memory-limit; " + advice + ", or raise the limit"
             : " of memory available now; " + advice + " (the command line's --memory-limit MiB sets another limit)"));
}

void adviseHugePages(void* data, std::size_t bytes)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    constexpr std::uintptr_t huge = std::uintptr_t(2) << 20;
    const std::uintptr_t begin = (reinterpret_cast<std::uintptr_t>(data) + huge - 1) & ~(huge - 1);
    const std::uintptr_t end = (reinterpret_cast<std::uintptr_t>(data) + bytes) & ~(huge - 1);
    if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE); // advice: failure is harmless
#else
    (void)data;
    (void)bytes;
#endif
}

} // namespace l2l
