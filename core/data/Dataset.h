#pragma once
// Locating and loading the labelled image data sets (MNIST, Fashion-MNIST, or any IDX files a user names).
// Loaded sets are cached per directory and shared read-only by every problem instance.
#include "data/Idx.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace l2l {

struct Dataset {
    std::string dir;
    ImageSet train, test;
};

// The two on-disk formats: MNIST-style IDX files (train-/t10k- images and labels, plain or .gz) and the
// CIFAR-10 binary batches (data_batch_1..5.bin, test_batch.bin).
enum class DatasetFormat { Idx, Cifar10 };

// The format of a named set: Cifar10 for "cifar10", Idx otherwise.
DatasetFormat datasetFormat(const std::string& name);

// Directories searched for a named set, in order ("mnist", "fashion-mnist" or "cifar10"):
//   $L2L_MNIST_DIR / $L2L_FASHION_MNIST_DIR / $L2L_CIFAR10_DIR, $L2L_DATA_DIR/<name>, <source>/data/<name>
//   (filled by scripts/setup.sh; only when running from the build tree, not for an installed binary),
//   $XDG_DATA_HOME/l2l-studio/<name> (default ~/.local/share/l2l-studio/<name>; where the installed
//   fetch-mnist.sh puts MNIST), /usr/share/datasets/<name> (Debian's dataset-fashion-mnist installs there).
std::vector<std::string> datasetSearchPath(const std::string& name);

// The first directory of the search path that holds the set's files; throws l2l::Error listing the
// places searched and how to install the data.
std::string findDatasetDir(const std::string& name);

// Loads the train and test splits of `dir` in `format` (IDX: each file plain or .gz); cached per
// (format, directory).
std::shared_ptr<const Dataset> loadDataset(const std::string& dir, DatasetFormat format = DatasetFormat::Idx);

// The minibatch of optimization step `step` of the instance `seed`: `batch` positions in [0, count),
// uniform with replacement (as the official code's tf.random_uniform), a function of (seed, step) only,
// so that every optimizer in a paired comparison sees the same data.
std::vector<int> minibatchPositions(std::uint64_t seed, int step, int batch, int count);

} // namespace l2l
