#pragma once
// Multi-layer perceptron kernels, in forward/backward pairs. Activations are stored one example per
// column: a layer's input is (in, B), its output (out, B). Templated on the scalar so that the hot path
// runs in float and the finite-difference tests in double.
#include "base/Types.h"

#include <cstdint>
#include <string>
#include <vector>

namespace l2l {

enum class Activation { Sigmoid, Relu, Tanh };
Activation activationFromName(const std::string& name); // throws l2l::Error
std::string activationName(Activation a);

// out (O,B) = W (O,I) * in (I,B) + b (O) broadcast over columns
template <typename T>
void linearForward(const Eigen::Ref<const Mat<T>>& w, const CVecRef<T>& b, const Eigen::Ref<const Mat<T>>& in,
                   Eigen::Ref<Mat<T>> out);
// Given dout (O,B): dW = dout in^T, db = sum over columns of dout, din = W^T dout (skipped if din is null).
template <typename T>
void linearBackward(const Eigen::Ref<const Mat<T>>& w, const Eigen::Ref<const Mat<T>>& in,
                    const Eigen::Ref<const Mat<T>>& dout, Eigen::Ref<Mat<T>> dw, VecRef<T> db, Mat<T>* din);

// a = act(z), elementwise.
template <typename T>
void activationForward(Activation act, const Eigen::Ref<const Mat<T>>& z, Eigen::Ref<Mat<T>> a);
// In place: d (holding dL/da) becomes dL/dz = dL/da * act'(z), with act' written through a = act(z):
// sigmoid' = a (1 - a), tanh' = 1 - a^2, relu' = [a > 0].
template <typename T>
void activationBackward(Activation act, const Eigen::Ref<const Mat<T>>& a, Eigen::Ref<Mat<T>> d);

// In place: d becomes d * act''(z), written through a = act(z): sigmoid'' = a (1 - a) (1 - 2a),
// tanh'' = -2a (1 - a^2), relu'' = 0 (Hessian-vector products).
template <typename T>
void activationCurvature(Activation act, const Eigen::Ref<const Mat<T>>& a, Eigen::Ref<Mat<T>> d);
// Mean softmax cross-entropy over the B columns of logits (C,B) with integer labels; writes
// dlogits = (softmax(logits) - onehot(labels)) / B, and counts correct argmax predictions.
template <typename T>
T softmaxCrossEntropy(const Eigen::Ref<const Mat<T>>& logits, const std::vector<std::uint8_t>& labels,
                      Eigen::Ref<Mat<T>> dlogits, int* correct = nullptr);

} // namespace l2l
