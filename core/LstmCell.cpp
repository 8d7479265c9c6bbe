#include "LstmCell.h"

namespace l2l {

template <typename T>
void lstmCellForward(const CMatRef<T>& wx, const CMatRef<T>& wh, const CVecRef<T>& b, const CMatRef<T>& x,
                     const CMatRef<T>& hPrev, const CMatRef<T>& cPrev, MatRef<T> gates, MatRef<T> c, MatRef<T> h)
{
    const Index H = c.rows();
    gates.noalias() = wx * x;
    gates.noalias() += wh * hPrev;
    gates.colwise() += b;
    auto ifo = [&](Index row) { return gates.middleRows(row, H).array(); };
    // sigm on i, f (rows 0..2H) and o (rows 3H..4H); tanh on g (rows 2H..3H)
    gates.topRows(2 * H) = (T(1) + (-gates.topRows(2 * H).array()).exp()).inverse();
    gates.middleRows(2 * H, H) = gates.middleRows(2 * H, H).array().tanh();
    gates.bottomRows(H) = (T(1) + (-gates.bottomRows(H).array()).exp()).inverse();
    c = ifo(H) * cPrev.array() + ifo(0) * ifo(2 * H);
    h = ifo(3 * H) * c.array().tanh();
}

template <typename T>
void lstmCellBackward(const CMatRef<T>& wx, const CMatRef<T>& wh, const CMatRef<T>& x, const CMatRef<T>& hPrev,
                      const CMatRef<T>& cPrev, const CMatRef<T>& gates, const CMatRef<T>& c, const CMatRef<T>& dh,
                      MatRef<T> dc, MatRef<T> dhPrev, Mat<T>* dx, MatRef<T> dWx, MatRef<T> dWh, VecRef<T> db,
                      Mat<T>& dz)
{
    const Index H = c.rows();
    const auto i = gates.topRows(H).array(), f = gates.middleRows(H, H).array();
    const auto g = gates.middleRows(2 * H, H).array(), o = gates.bottomRows(H).array();
    dz.resize(4 * H, c.cols());
    const Mat<T> tc = c.array().tanh();
    // dc_total = dc_next + dh * o * (1 - tanh(c)^2)
    dc.array() += dh.array() * o * (T(1) - tc.array().square());
    dz.topRows(H) = dc.array() * g * i * (T(1) - i);                     // dz_i
    dz.middleRows(H, H) = dc.array() * cPrev.array() * f * (T(1) - f);    // dz_f
    dz.middleRows(2 * H, H) = dc.array() * i * (T(1) - g.square());       // dz_g
    dz.bottomRows(H) = dh.array() * tc.array() * o * (T(1) - o);          // dz_o
    dc.array() *= f;                                                      // dL/dc_prev
    dWx.noalias() += dz * x.transpose();
    dWh.noalias() += dz * hPrev.transpose();
    db += dz.rowwise().sum();
    dhPrev.noalias() = wh.transpose() * dz;
    if (dx) dx->noalias() = wx.transpose() * dz;
}

#define L2L_INSTANTIATE(T)                                                                                        \
    template void lstmCellForward<T>(const CMatRef<T>&, const CMatRef<T>&, const CVecRef<T>&, const CMatRef<T>&, \
                                     const CMatRef<T>&, const CMatRef<T>&, MatRef<T>, MatRef<T>, MatRef<T>);      \
    template void lstmCellBackward<T>(const CMatRef<T>&, const CMatRef<T>&, const CMatRef<T>&, const CMatRef<T>&, \
                                      const CMatRef<T>&, const CMatRef<T>&, const CMatRef<T>&, const CMatRef<T>&, \
                                      MatRef<T>, MatRef<T>, Mat<T>*, MatRef<T>, MatRef<T>, VecRef<T>, Mat<T>&);
L2L_INSTANTIATE(float)
L2L_INSTANTIATE(double)
#undef L2L_INSTANTIATE

} // namespace l2l
