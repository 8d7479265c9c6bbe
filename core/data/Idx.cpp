#include "data/Idx.h"

#include "base/Types.h"

#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <memory>

namespace l2l {

namespace {

struct GzCloser {
    void operator()(gzFile_s* f) const
    {
        if (f) gzclose(f);
    }
};

// Reads exactly n bytes; returns how many were read.
size_t readBytes(gzFile f, void* out, size_t n)
{
    size_t done = 0;
    auto* p = static_cast<unsigned char*>(out);
    while (done < n) {
        const unsigned chunk = unsigned(std::min<size_t>(n - done, 1u << 30));
        const int got = gzread(f, p + done, chunk);
        if (got <= 0) break;
        done += size_t(got);
    }
    return done;
}

} // namespace

IdxArray readIdx(const std::string& path)
{
    if (!std::filesystem::exists(path)) throw Error("data file '" + path + "' does not exist");
    std::unique_ptr<gzFile_s, GzCloser> file(gzopen(path.c_str(), "rb"));
    if (!file) throw Error("data file '" + path + "' cannot be opened");
    unsigned char header[4];
    if (readBytes(file.get(), header, 4) != 4)
        throw Error("data file '" + path + "' is empty or truncated (no IDX header)");
    if (header[0] != 0 || header[1] != 0) throw Error("data file '" + path + "' is not an IDX file (bad magic number)");
    if (header[2] != 0x08)
        throw Error("data file '" + path + "' holds IDX type 0x" + std::to_string(header[2]) +
                    ", only unsigned bytes (0x08) are supported");
    const int ndim = header[3];
    if (ndim < 1 || ndim > 4)
        throw Error("data file '" + path + "' has " + std::to_string(ndim) + " dimensions (1-4 supported)");
    IdxArray out;
    size_t total = 1;
    for (int d = 0; d < ndim; ++d) {
        unsigned char b[4];
        if (readBytes(file.get(), b, 4) != 4) throw Error("data file '" + path + "' is truncated in its header");
        const std::uint32_t size =
            (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) | (std::uint32_t(b[2]) << 8) | b[3];
        if (size == 0 || size > (1u << 28))
            throw Error("data file '" + path + "' has an implausible size " + std::to_string(size));
        out.shape.push_back(size);
        if (total > (size_t(1) << 32) / size) throw Error("data file '" + path + "' declares more than 4 GiB of data");
        total *= size;
    }
    // Memory grows with the data actually read, not with what the header claims: a 20-byte file declaring
    // 4 GiB costs one chunk, then is refused as truncated.
    constexpr size_t kChunk = size_t(16) << 20;
    size_t got = 0;
    while (got < total) {
        const size_t want = std::min(kChunk, total - got);
        out.data.resize(got + want);
        const size_t n = readBytes(file.get(), out.data.data() + got, want);
        got += n;
        if (n < want) break;
    }
    if (got != total)
        throw Error("data file '" + path + "' is truncated: header declares " + std::to_string(total) +
                    " bytes of data, found " + std::to_string(got));
    unsigned char extra;
    if (readBytes(file.get(), &extra, 1) != 0)
        throw Error("data file '" + path + "' has trailing bytes after the declared data");
    int errnum = 0;
    gzerror(file.get(), &errnum);
    if (errnum != Z_OK && errnum != Z_STREAM_END) throw Error("data file '" + path + "' is corrupt (gzip error)");
    return out;
}

ImageSet readImageSet(const std::string& imagesPath, const std::string& labelsPath, int classes)
{
    IdxArray images = readIdx(imagesPath);
    IdxArray labels = readIdx(labelsPath);
    if (images.shape.size() != 3)
        throw Error("data file '" + imagesPath + "' should hold images (3 dimensions), has " +
                    std::to_string(images.shape.size()));
    if (labels.shape.size() != 1)
        throw Error("data file '" + labelsPath + "' should hold labels (1 dimension), has " +
                    std::to_string(labels.shape.size()));
    if (images.shape[0] != labels.shape[0])
        throw Error("data files '" + imagesPath + "' and '" + labelsPath + "' disagree: " +
                    std::to_string(images.shape[0]) + " images but " + std::to_string(labels.shape[0]) + " labels");
    for (size_t i = 0; i < labels.data.size(); ++i)
        if (labels.data[i] >= classes)
            throw Error("data file '" + labelsPath + "' has label " + std::to_string(labels.data[i]) + " at index " +
                        std::to_string(i) + " (expected < " + std::to_string(classes) + ")");
    if (std::uint64_t(images.shape[1]) * images.shape[2] > (1u << 24))
        throw Error("data file '" + imagesPath + "' has images of implausible size " + std::to_string(images.shape[1]) +
                    "x" + std::to_string(images.shape[2]));
    ImageSet set;
    set.rows = int(images.shape[1]);
    set.cols = int(images.shape[2]);
    set.pixels = std::move(images.data);
    set.labels = std::move(labels.data);
    return set;
}

} // namespace l2l
