#pragma once
// Shared vocabulary of the core: vector types templated on the scalar, and the error type.
#include <Eigen/Dense>
#include <stdexcept>
#include <string>

namespace l2l {

using Index = Eigen::Index;
template <typename T> using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;
template <typename T> using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
template <typename T> using VecRef = Eigen::Ref<Vec<T>>;
template <typename T> using CVecRef = Eigen::Ref<const Vec<T>>;

// Every error the core reports: the message names the file / field / value involved.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace l2l
