#pragma once
// Locating and loading the labelled image data sets (MNIST, Fashion-MNIST, or any IDX files a user names).
// Loaded sets are cached per directory and shared read-only by every problem instance.
#include "Idx.h"

#include <memory>
#include <string>
#include <vector>

namespace l2l {

struct Dataset {
    std::string dir;
    ImageSet train, test;
};

// Directories searched for a named set, in order ("mnist" or "fashion-mnist"):
//   $L2L_MNIST_DIR / $L2L_FASHION_MNIST_DIR, $L2L_DATA_DIR/<name>, <source>/data/<name> (filled by
//   scripts/setup.sh), /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist).
std::vector<std::string> datasetSearchPath(const std::string& name);

// The first directory of the search path that holds the four IDX files; throws l2l::Error listing the
// places searched and how to install the data.
std::string findDatasetDir(const std::string& name);

// Loads train-{images,labels} and t10k-{images,labels} (each plain or .gz) from `dir`; cached.
std::shared_ptr<const Dataset> loadDataset(const std::string& dir);

} // namespace l2l
