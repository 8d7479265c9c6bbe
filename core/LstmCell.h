#pragma once
// One LSTM layer (Hochreiter & Schmidhuber 1997, with forget gate, Gers et al. 2000), applied to a batch
// of columns. In the optimizer the columns are the optimizee's coordinates: every coordinate has its own
// state and all share the weights (paper Sec. 2.1, "coordinatewise").
//   z = Wx x + Wh h_prev + b                          z (4H, B): rows [i | f | g | o]
//   i = sigm(z_i), f = sigm(z_f), g = tanh(z_g), o = sigm(z_o)
//   c = f * c_prev + i * g,   h = o * tanh(c)
#include "Types.h"

namespace l2l {

template <typename T> using MatRef = Eigen::Ref<Mat<T>>;
template <typename T> using CMatRef = Eigen::Ref<const Mat<T>>;

// Writes the activated gates (4H, B), c (H, B) and h (H, B).
template <typename T>
void lstmCellForward(const CMatRef<T>& wx, const CMatRef<T>& wh, const CVecRef<T>& b, const CMatRef<T>& x,
                     const CMatRef<T>& hPrev, const CMatRef<T>& cPrev, MatRef<T> gates, MatRef<T> c, MatRef<T> h);

// Backward of one step. In: dh = dL/dh (H, B) from above and from the next step's recurrence, dc = dL/dc
// from the next step (H, B). Out: dc becomes dL/dc_prev, dhPrev = dL/dh_prev, dx = dL/dx (if non-null);
// dWx, dWh, db are ACCUMULATED. `dz` is scratch (4H, B).
template <typename T>
void lstmCellBackward(const CMatRef<T>& wx, const CMatRef<T>& wh, const CMatRef<T>& x, const CMatRef<T>& hPrev,
                      const CMatRef<T>& cPrev, const CMatRef<T>& gates, const CMatRef<T>& c, const CMatRef<T>& dh,
                      MatRef<T> dc, MatRef<T> dhPrev, Mat<T>* dx, MatRef<T> dWx, MatRef<T> dWh, VecRef<T> db,
                      Mat<T>& dz);

} // namespace l2l
