#pragma once
// Adam (Kingma & Ba 2015): the state and the step, written once. Used by the "adam" update rule on an
// optimizee's theta and by meta-training on the LSTM's weights phi.
//   m <- b1 m + (1 - b1) g,   v <- b2 v + (1 - b2) g^2,   t <- t + 1
//   theta <- theta - lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)
// The bias correction is computed in double and applied as one float factor; sqrt(v) is the deterministic
// square root (base/DetMath.h), so the step is the same on every CPU of the build's level.
#include "base/DetMath.h"
#include "base/Types.h"

#include <cmath>

namespace l2l {

template <typename T>
struct AdamState {
    Vec<T> m, v; // first and second moment estimates
    long t = 0;  // steps taken

    void reset(Index dim)
    {
        m.setZero(dim);
        v.setZero(dim);
        t = 0;
    }

    void step(VecRef<T> theta, const CVecRef<T>& g, double lr, double beta1, double beta2, T eps)
    {
        ++t;
        m = T(beta1) * m + T(1 - beta1) * g;
        v = T(beta2) * v + T(1 - beta2) * g.cwiseAbs2();
        const T stepSize = T(lr * std::sqrt(1 - detPowInt(beta2, t)) / (1 - detPowInt(beta1, t)));
        theta.array() -= stepSize * m.array() / (v.array().unaryExpr(DetSqrt{}) + eps);
    }
};

} // namespace l2l
