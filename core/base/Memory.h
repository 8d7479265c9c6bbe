#pragma once
// The memory budget: a run estimates what it will allocate before it allocates, and is refused with the estimate
// and the machine's available memory when it would not fit (instead of growing until the kernel kills it).
#include <cstddef>
#include <cstdint>
#include <string>

namespace l2l {

// MemAvailable of /proc/meminfo in bytes, or 0 when it cannot be read (then no limit applies by default).
std::uint64_t availableMemoryBytes();

// "1.5 GiB", "320 MiB", "12 KiB".
std::string formatBytes(std::uint64_t bytes);

// Throws l2l::Error "WHAT needs about X (DETAIL), more than the Y available; ADVICE, or raise the limit with
// --memory-limit" when `estimate` exceeds the limit: limitMiB > 0 is the limit in MiB, 0 means the memory
// available now.
void checkMemoryBudget(std::uint64_t estimate, int limitMiB, const std::string& what, const std::string& detail,
                       const std::string& advice);

// The saturating product and sum for estimates (a huge configuration must not wrap to a small number).
std::uint64_t mulBytes(std::uint64_t a, std::uint64_t b);
std::uint64_t addBytes(std::uint64_t a, std::uint64_t b);

// Asks the kernel to back the whole 2 MiB pages inside [data, data + bytes) with transparent huge pages (Linux
// madvise MADV_HUGEPAGE; nothing elsewhere or when the system has them off). For large buffers that are written
// once per window (the BPTT caches, ~260 MB on MNIST): first touch then costs one fault per 2 MiB instead of one
// per 4 KiB. Call it before the memory is first written. Values are untouched: it only changes how pages are mapped.
void adviseHugePages(void* data, std::size_t bytes);

} // namespace l2l
