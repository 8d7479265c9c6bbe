#include "data/Cifar.h"

#include "base/AtomicFile.h"
#include "base/Types.h"

#include <filesystem>
#include <fstream>
#include <iterator>

namespace l2l {

namespace {

constexpr size_t kMaxCifarRecords = 60000; // the whole data set (train and test) in one file

// Appends the records of one batch file to `set`.
void appendBatch(const std::string& path, ImageSet& set)
{
    if (!std::filesystem::exists(path)) throw Error("data file '" + path + "' does not exist");
    // The size is checked before anything is read: a batch holds 10000 records; more than kMaxCifarRecords in
    // one file is not CIFAR-10, and reading it whole could exhaust memory.
    const std::string bytes = readFile(path, kMaxCifarRecords * kCifarRecordBytes);
    if (bytes.empty()) throw Error("data file '" + path + "' is empty (expected CIFAR-10 records of 3073 bytes)");
    if (bytes.size() % kCifarRecordBytes != 0)
        throw Error("data file '" + path + "' is truncated or not a CIFAR-10 batch: " + std::to_string(bytes.size()) +
                    " bytes is not a whole number of 3073-byte records");
    const size_t records = bytes.size() / kCifarRecordBytes, imageBytes = kCifarRecordBytes - 1;
    for (size_t r = 0; r < records; ++r) {
        const auto* record = reinterpret_cast<const std::uint8_t*>(bytes.data()) + r * kCifarRecordBytes;
        if (record[0] > 9)
            throw Error("data file '" + path + "' has label " + std::to_string(record[0]) + " in record " +
                        std::to_string(r) + " (CIFAR-10 labels are 0-9)");
        set.labels.push_back(record[0]);
        set.pixels.insert(set.pixels.end(), record + 1, record + 1 + imageBytes);
    }
}

} // namespace

ImageSet readCifarBatches(const std::vector<std::string>& paths)
{
    ImageSet set;
    set.rows = set.cols = kCifarSide;
    set.channels = 3;
    for (const auto& path : paths) appendBatch(path, set);
    return set;
}

std::vector<std::string> cifarTrainFiles()
{
    std::vector<std::string> names;
    for (int i = 1; i <= 5; ++i) names.push_back("data_batch_" + std::to_string(i) + ".bin");
    return names;
}

std::string cifarTestFile() { return "test_batch.bin"; }

} // namespace l2l
