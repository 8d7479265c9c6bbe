#include "FuzzTargets.h"

#include "base/Spec.h"
#include "base/Types.h"
#include "data/ArtImage.h"
#include "data/Cifar.h"
#include "data/Idx.h"
#include "eval/Transfer.h"
#include "eval/Tuning.h"
#include "io/ExperimentFile.h"
#include "meta/MetaTrainer.h"
#include "optimizers/OptimizerFile.h"
#include "optimizers/UpdateRule.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace l2l::fuzz {

namespace {

std::string text(const std::uint8_t* data, std::size_t size)
{
    return std::string(reinterpret_cast<const char*>(data), size);
}

// Readers that take a path get the bytes in a file of their own.
struct TempFile {
    std::string path;
    TempFile(const std::uint8_t* data, std::size_t size, const char* suffix)
    {
        path = (std::filesystem::temp_directory_path() / ("l2l-fuzz-" + std::to_string(getpid()) + suffix)).string();
        std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(data), std::streamsize(size));
    }
    ~TempFile() { std::remove(path.c_str()); }
};

// Only l2l::Error may leave a reader.
template <typename F>
void refusedOrAccepted(F read)
{
    try {
        read();
    } catch (const Error&) {
    }
}

} // namespace

const std::vector<Target>& targets()
{
    static const std::vector<Target> all = {
        {"optimizer", [](const std::uint8_t* d,
                         std::size_t n) { refusedOrAccepted([&] { optimizerFromJson(text(d, n), "fuzz.json"); }); }},
        {"experiment", [](const std::uint8_t* d,
                          std::size_t n) { refusedOrAccepted([&] { experimentFromJson(text(d, n), "fuzz.json"); }); }},
        {"checkpoint", [](const std::uint8_t* d,
                          std::size_t n) { refusedOrAccepted([&] { checkpointFromJson(text(d, n), "fuzz.json"); }); }},
        {"spec",
         [](const std::uint8_t* d, std::size_t n) {
             refusedOrAccepted([&] { Spec::parse(text(d, n)); });
             refusedOrAccepted([&] { UpdateRuleConfig::parse(text(d, n)); });
         }},
        {"idx",
         [](const std::uint8_t* d, std::size_t n) {
             TempFile f(d, n, ".idx");
             refusedOrAccepted([&] { readIdx(f.path); });
         }},
        {"cifar",
         [](const std::uint8_t* d, std::size_t n) {
             TempFile f(d, n, ".bin");
             refusedOrAccepted([&] { readCifarBatches({f.path}); });
         }},
        {"image",
         [](const std::uint8_t* d, std::size_t n) {
             TempFile f(d, n, ".png");
             refusedOrAccepted([&] { loadArtImage(f.path); });
         }},
        {"tuning-cache",
         [](const std::uint8_t* d, std::size_t n) {
             TempFile f(d, n, ".json");
             refusedOrAccepted([&] {
                 TuningCache cache(f.path); // a bad cache is a warning, never an error
                 TuneResult r;
                 cache.lookup("quadratic|sgd", r);
             });
         }},
        {"transfer",
         [](const std::uint8_t* d, std::size_t n) {
             TempFile f(d, n, ".json");
             refusedOrAccepted([&] { (void)readTransfer(f.path); }); // the studio's Open result…
         }},
    };
    return all;
}

} // namespace l2l::fuzz
