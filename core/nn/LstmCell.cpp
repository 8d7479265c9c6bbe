#include "nn/LstmCell.h"

namespace l2l {

namespace {
// Rows i, f (0..2H) and o (3H..4H) hold tanh(z/2); turn them into sigm(z) = (1 + tanh(z/2)) / 2.
template <typename T>
void finishGates(MatRef<T> gates, Index H)
{
    gates.topRows(2 * H).array() = T(0.5) * gates.topRows(2 * H).array() + T(0.5);
    gates.bottomRows(H).array() = T(0.5) * gates.bottomRows(H).array() + T(0.5);
}
} // namespace

template <typename T>
void tanhInto(const CMatRef<T>& in, MatRef<T> out)
{
    using Flat = Eigen::Array<T, Eigen::Dynamic, 1>;
    if (in.outerStride() == in.rows() && out.outerStride() == out.rows())
        Eigen::Map<Flat>(out.data(), out.size()) = Eigen::Map<const Flat>(in.data(), in.size()).tanh();
    else
        out = in.array().tanh();
}

template <typename T>
void halveSigmoidRows(MatRef<T> w, VecRef<T> b)
{
    const Index H = b.size() / 4;
    w.topRows(2 * H) *= T(0.5);
    w.bottomRows(H) *= T(0.5);
    b.head(2 * H) *= T(0.5);
    b.tail(H) *= T(0.5);
}

template <typename T>
void lstmCellForwardPrescaled(const CMatRef<T>& wHalf, const CVecRef<T>& bHalf, const CMatRef<T>& in,
                              const CMatRef<T>& cPrev, MatRef<T> gates, MatRef<T> c, MatRef<T> h)
{
    const Index H = c.rows();
    gates.colwise() = bHalf;
    gates.noalias() += wHalf * in;
    tanhInto<T>(gates, gates);
    finishGates<T>(gates, H);
    const auto i = gates.topRows(H).array(), f = gates.middleRows(H, H).array();
    const auto g = gates.middleRows(2 * H, H).array(), o = gates.bottomRows(H).array();
    c.array() = f * cPrev.array() + i * g;
    tanhInto<T>(c, h);
    h.array() *= o;
}

template <typename T>
void lstmCellForward(const CMatRef<T>& w, const CVecRef<T>& b, const CMatRef<T>& in, const CMatRef<T>& cPrev,
                     MatRef<T> gates, MatRef<T> c, MatRef<T> h)
{
    Mat<T> wHalf = w;
    Vec<T> bHalf = b;
    halveSigmoidRows<T>(wHalf, bHalf);
    lstmCellForwardPrescaled<T>(wHalf, bHalf, in, cPrev, gates, c, h);
}

template <typename T>
void lstmCellBackward(const CMatRef<T>& w, const CMatRef<T>& in, const CMatRef<T>& cPrev, const CMatRef<T>& gates,
                      const CMatRef<T>& tc, const CMatRef<T>& dh, MatRef<T> dc, MatRef<T> din, MatRef<T> dW,
                      VecRef<T> db, Mat<T>& dz)
{
    const Index H = tc.rows();
    const auto i = gates.topRows(H).array(), f = gates.middleRows(H, H).array();
    const auto g = gates.middleRows(2 * H, H).array(), o = gates.bottomRows(H).array();
    dz.resize(4 * H, tc.cols());
    // dc_total = dc_next + dh * o * (1 - tanh(c)^2)
    dc.array() += dh.array() * o * (T(1) - tc.array().square());
    dz.topRows(H) = dc.array() * g * i * (T(1) - i);                   // dz_i
    dz.middleRows(H, H) = dc.array() * cPrev.array() * f * (T(1) - f); // dz_f
    dz.middleRows(2 * H, H) = dc.array() * i * (T(1) - g.square());    // dz_g
    dz.bottomRows(H) = dh.array() * tc.array() * o * (T(1) - o);       // dz_o
    dc.array() *= f;                                                   // dL/dc_prev
    dW.noalias() += dz * in.transpose();
    db += dz.rowwise().sum();
    din.noalias() = w.transpose() * dz;
}

#define L2L_INSTANTIATE(T)                                                                                             \
    template void lstmCellForward<T>(const CMatRef<T>&, const CVecRef<T>&, const CMatRef<T>&, const CMatRef<T>&,       \
                                     MatRef<T>, MatRef<T>, MatRef<T>);                                                 \
    template void lstmCellForwardPrescaled<T>(const CMatRef<T>&, const CVecRef<T>&, const CMatRef<T>&,                 \
                                              const CMatRef<T>&, MatRef<T>, MatRef<T>, MatRef<T>);                     \
    template void halveSigmoidRows<T>(MatRef<T>, VecRef<T>);                                                           \
    template void tanhInto<T>(const CMatRef<T>&, MatRef<T>);                                                           \
    template void lstmCellBackward<T>(const CMatRef<T>&, const CMatRef<T>&, const CMatRef<T>&, const CMatRef<T>&,      \
                                      const CMatRef<T>&, const CMatRef<T>&, MatRef<T>, MatRef<T>, MatRef<T>,           \
                                      VecRef<T>, Mat<T>&);
L2L_INSTANTIATE(float)
L2L_INSTANTIATE(double)
#undef L2L_INSTANTIATE

} // namespace l2l
