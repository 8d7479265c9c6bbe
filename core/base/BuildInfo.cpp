#include "base/BuildInfo.h"

namespace l2l {

std::string buildInfo() { return L2L_BUILD_INFO; }
std::string archLevel() { return L2L_ARCH_LEVEL; }

} // namespace l2l
