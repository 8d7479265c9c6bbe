// One libFuzzer binary per target (L2L_FUZZ_TARGET names it); built by scripts/fuzz.sh with clang.
#include "FuzzTargets.h"

#include <cstdlib>
#include <cstring>

namespace {
const l2l::fuzz::Target& target()
{
    static const l2l::fuzz::Target* t = [] {
        for (const auto& candidate : l2l::fuzz::targets())
            if (std::strcmp(candidate.name, L2L_FUZZ_TARGET) == 0) return &candidate;
        std::abort();
    }();
    return *t;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    target().run(data, size);
    return 0;
}
