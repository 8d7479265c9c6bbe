#pragma once
// Where the bundled files live (optimizers/, art/, fingerprints/, examples/).
#include <string>

namespace l2l {

std::string resourceDir(); // $L2L_RESOURCE_DIR, else the source tree's resources/

} // namespace l2l
