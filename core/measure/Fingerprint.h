#pragma once
// A fingerprint of the build's arithmetic: a fixed set of small evaluations and trainings (quadratic, 2-d,
// MNIST, conv net, neural art; learned and hand-designed optimizers; first- and second-order meta-training)
// whose every loss, point and weight is hashed bit for bit. Two builds agree on a hash only if they compute
// exactly the same floats, so the committed hashes of the default build (resources/fingerprints/) let anyone
// check that their machine re-makes the published numbers: `l2l fingerprint --check`.
#include "base/BitHash.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace l2l {

struct FingerprintItem {
    std::string name;    // e.g. "eval-quadratic"
    std::string what;    // the workload, in words and specs
    std::string hash;    // 16 hex digits
    std::string summary; // a few numbers to read (final losses), not part of the comparison
    double seconds = 0;
};

// Runs every workload on `threads` threads (0 = all cores; the hashes do not depend on it). Needs the MNIST
// data set (scripts/setup.sh) and the bundled optimizers. `onItem` is called after each workload.
std::vector<FingerprintItem> runFingerprint(int threads,
                                            const std::function<void(const FingerprintItem&)>& onItem = {});

// The expected-hash file: '#' comments, then one "name hash" per line. Throws l2l::Error naming the file and
// line on a malformed file.
std::map<std::string, std::string> readFingerprintFile(const std::string& path);
std::string fingerprintFileText(const std::vector<FingerprintItem>& items);

// Differences between `items` and `expected`, one line each ("eval-mnist: 1234... expected abcd..."), also
// for workloads missing on either side; empty when everything matches.
std::vector<std::string> compareFingerprint(const std::vector<FingerprintItem>& items,
                                            const std::map<std::string, std::string>& expected);

} // namespace l2l
