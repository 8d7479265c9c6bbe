#pragma once
// One LSTM layer (Hochreiter & Schmidhuber 1997, with forget gate, Gers et al. 2000), applied to a batch
// of columns. In the optimizer the columns are the optimizee's coordinates: every coordinate has its own
// state and all share the weights (paper Sec. 2.1, "coordinatewise").
//   z = W [x; h_prev] + b                              W (4H, I+H), z (4H, B): rows [i | f | g | o]
//   i = sigm(z_i), f = sigm(z_f), g = tanh(z_g), o = sigm(z_o)
//   c = f * c_prev + i * g,   h = o * tanh(c)
// The input and the previous hidden state are stacked into one (I+H, B) matrix so that the gates are a
// single matrix product with inner dimension I+H (a product with inner dimension I = 1 or 2 is slow).
#include "base/Types.h"

namespace l2l {

template <typename T>
using MatRef = Eigen::Ref<Mat<T>>;
template <typename T>
using CMatRef = Eigen::Ref<const Mat<T>>;

// out = tanh(in), elementwise. Blocks of whole columns are contiguous; evaluating them as one flat
// array keeps every element on the vectorised path (a column of H = 20 floats would otherwise leave a
// tail of scalar tanh calls in every column).
template <typename T>
void tanhInto(const CMatRef<T>& in, MatRef<T> out);

// h = tc * o, elementwise, o the output-gate rows (the last H) of the activated gates (4H, B); h may be tc. One
// pass per column (Eigen's expression on the 20-row slice left a scalar tail in every column).
template <typename T>
void timesOutputGate(const CMatRef<T>& tc, const CMatRef<T>& gates, MatRef<T> h);

// z = ELU(z) = z if z > 0, else e^z - 1 (detExp), elementwise: RNNprop's input layer. The same bits as the Eigen
// expression (z > 0).select(z, z.unaryExpr(DetExp{}) - 1), which has no packet path (a call of detExp per element,
// with two libm calls in it); see LstmCell.cpp.
template <typename T>
void eluInPlace(MatRef<T> z);
#if defined(__FMA__) && defined(__AVX2__)
template <>
void eluInPlace<float>(MatRef<float> z); // 8 lanes at a time, the same bits (LstmCell.cpp)
#endif

// Writes the activated gates (4H, B), c (H, B) and h (H, B). c may alias cPrev (updated in place).
template <typename T>
void lstmCellForward(const CMatRef<T>& w, const CVecRef<T>& b, const CMatRef<T>& in, const CMatRef<T>& cPrev,
                     MatRef<T> gates, MatRef<T> c, MatRef<T> h);

// The same with the sigmoid rows (i, f, o) of W and b already halved (see halveSigmoidRows): the hot path
// prepares them once per step for all coordinates, saving a pass over the gates.
template <typename T>
void lstmCellForwardPrescaled(const CMatRef<T>& wHalf, const CVecRef<T>& bHalf, const CMatRef<T>& in,
                              const CMatRef<T>& cPrev, MatRef<T> gates, MatRef<T> c, MatRef<T> h);
template <typename T>
void halveSigmoidRows(MatRef<T> w, VecRef<T> b);

// Backward of one step. In: tc = tanh(c) of the step's new cell state (the caller has it from
// recomputing h = o * tanh(c)), dh = dL/dh (H, B) (from above and from the next step's recurrence) and
// dc = dL/dc from the next step. Out: dc becomes dL/dc_prev; din = dL/d[x; h_prev] (I+H, B);
// dW (4H, I+H) and db (4H) are ACCUMULATED. dz is scratch (resized as needed).
template <typename T>
void lstmCellBackward(const CMatRef<T>& w, const CMatRef<T>& in, const CMatRef<T>& cPrev, const CMatRef<T>& gates,
                      const CMatRef<T>& tc, const CMatRef<T>& dh, MatRef<T> dc, MatRef<T> din, MatRef<T> dW,
                      VecRef<T> db, Mat<T>& dz);

} // namespace l2l
