#pragma once
// Where the bundled files live (optimizers/, art/, examples/, lessons/, fingerprints/, tuned-rates.json).
//
// An installed binary finds them relative to its own location, <bindir>/../share/l2l-studio (the relative path
// from the install's bindir to its datadir, set by CMake from GNUInstallDirs, so the whole tree can be moved);
// a binary run from the build tree falls back to the source tree's resources/. $L2L_RESOURCE_DIR overrides both.
#include <string>

namespace l2l {

std::string resourceDir(); // $L2L_RESOURCE_DIR, else the installed share directory, else the source's resources/

// The installed share directory (<dir of /proc/self/exe>/../share/l2l-studio) if the running binary is an
// installed one, i.e. that directory exists and holds optimizers/; empty when running from the build tree.
std::string installedShareDir();

// The directory of the running executable (from /proc/self/exe); empty if it cannot be read.
std::string executableDir();

} // namespace l2l
