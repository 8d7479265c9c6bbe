#include "base/Resources.h"

#include <cstdlib>

#ifndef L2L_RESOURCE_DIR
#define L2L_RESOURCE_DIR ""
#endif

namespace l2l {

std::string resourceDir()
{
    if (const char* dir = std::getenv("L2L_RESOURCE_DIR"); dir && *dir) return dir;
    return L2L_RESOURCE_DIR;
}

} // namespace l2l
