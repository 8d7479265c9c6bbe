#pragma once
// Reader for the binary version of CIFAR-10 (https://www.cs.toronto.edu/~kriz/cifar.html,
// "cifar-10-batches-bin"): a batch file is a sequence of 3073-byte records, one label byte (0-9) and
// then the 32x32 image as three row-major planes, R, G and B (1024 bytes each).
#include "data/Idx.h"

#include <string>
#include <vector>

namespace l2l {

constexpr int kCifarSide = 32;
constexpr int kCifarRecordBytes = 1 + 3 * kCifarSide * kCifarSide;

// Reads and concatenates the batch files (e.g. data_batch_1.bin ... data_batch_5.bin) into one set of
// 32x32x3 images. Throws l2l::Error naming the file: missing, empty, truncated (a size that is not a
// whole number of records) or holding a label above 9 (with its record index).
ImageSet readCifarBatches(const std::vector<std::string>& paths);

// The file names of the training and test batches in a cifar-10-batches-bin directory.
std::vector<std::string> cifarTrainFiles();
std::string cifarTestFile();

} // namespace l2l
