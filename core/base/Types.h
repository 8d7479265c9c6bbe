#pragma once
// Shared vocabulary of the core: vector types templated on the scalar, and the error type.
#include <Eigen/Dense>
#include <stdexcept>
#include <string>

namespace l2l {

namespace detail {
// Eigen sizes the blocks of a matrix product from the CPU's cache sizes (read with cpuid), and the block
// sizes decide the order in which a dot product is summed: the same product gives other float bits on a CPU
// with other caches. Fixed sizes (typical of current x86-64 cores) make products the same on every machine.
// An inline variable: initialised once, before main, in every program that includes this header.
inline constexpr std::ptrdiff_t kEigenL1 = 32 * 1024, kEigenL2 = 1024 * 1024, kEigenL3 = 16 * 1024 * 1024;
inline const bool kEigenCacheSizesFixed = (Eigen::setCpuCacheSizes(kEigenL1, kEigenL2, kEigenL3), true);
} // namespace detail

using Index = Eigen::Index;
template <typename T>
using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;
template <typename T>
using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
template <typename T>
using VecRef = Eigen::Ref<Vec<T>>;
template <typename T>
using CVecRef = Eigen::Ref<const Vec<T>>;

// Every error the core reports: the message names the file / field / value involved.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace l2l
