#pragma once
// Reader for the IDX format of MNIST-style data sets (http://yann.lecun.com/exdb/mnist/ layout):
// big-endian magic 0x0000 0x08 <ndim>, then ndim big-endian uint32 sizes, then the unsigned bytes.
// Plain and gzip-compressed files are both accepted (zlib reads plain files transparently).
#include <cstdint>
#include <string>
#include <vector>

namespace l2l {

struct IdxArray {
    std::vector<std::uint32_t> shape;
    std::vector<std::uint8_t> data; // row-major, product(shape) bytes
};

// Throws l2l::Error naming the file and what is wrong (missing, bad magic, wrong type, truncated, trailing bytes).
IdxArray readIdx(const std::string& path);

// A labelled image set, as bytes: image after image, each planar (channel after channel, each
// row-major rows x cols): MNIST-style sets have 1 channel, CIFAR-10 3 (R, G, B).
struct ImageSet {
    int rows = 0, cols = 0, channels = 1;
    std::vector<std::uint8_t> pixels; // count * channels * rows * cols, image-major
    std::vector<std::uint8_t> labels;
    int count() const { return int(labels.size()); }
    int pixelCount() const { return channels * rows * cols; } // bytes per image
};

// Reads an images file (3-d IDX) and its labels file (1-d IDX), checking they agree and labels are < classes.
ImageSet readImageSet(const std::string& imagesPath, const std::string& labelsPath, int classes = 10);

} // namespace l2l
