// Runs before anything else in the program (a constructor of the highest user priority) and before any code
// compiled for the build's instruction-set level: a CPU without those instructions gets a message instead of
// an "Illegal instruction" crash. This file itself is compiled for baseline x86-64 (see app/CMakeLists.txt).
#include <unistd.h>

#include <cstring>

namespace {

#if defined(__x86_64__) && defined(L2L_REQUIRED_LEVEL)
// GCC 12 and Clang 18 know the level names; older Clang (Debian 12's clang 14, used by the sanitizer and fuzz
// builds) only single features, so the level's defining ones are checked instead.
bool cpuHasLevel()
{
#if defined(__clang__) && __clang_major__ < 18
    if (std::strcmp(L2L_REQUIRED_LEVEL, "x86-64-v4") == 0)
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (std::strcmp(L2L_REQUIRED_LEVEL, "x86-64-v3") == 0)
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2");
    return __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("popcnt");
#else
    return __builtin_cpu_supports(L2L_REQUIRED_LEVEL);
#endif
}
#endif

[[gnu::constructor(101)]] void checkCpuLevel()
{
#if defined(__x86_64__) && defined(L2L_REQUIRED_LEVEL)
    __builtin_cpu_init();
    if (!cpuHasLevel()) {
        const char* msg =
            "l2l: this CPU lacks the instructions of the level this build was compiled for (" L2L_REQUIRED_LEVEL
            "; x86-64-v3 needs AVX2 and FMA, x86-64-v4 AVX-512). Rebuild on this "
            "machine with L2L_ARCH left empty, which picks the highest level it has (see README, "
            "'Same numbers on every machine').\n";
        [[maybe_unused]] auto n = ::write(2, msg, std::strlen(msg));
        ::_exit(1);
    }
#endif
}

} // namespace
