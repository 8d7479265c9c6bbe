#pragma once
// Two options every problem takes, for training that cannot memorise one scale and for asking how an optimizer
// copes with another one (`l2l transfer`):
//   fscale=S  the objective times S:                          g(theta) = S f(theta)
//   xscale=R  random per-coordinate scaling (Lv, Jiang & Li, ICML 2017, "random scaling"): each instance draws
//             c_i = exp(u_i), u_i ~ U(-R, R) IID, and is g(psi) = f(c ⊙ psi) started at psi_0 = theta_0 / c, so that
//             c ⊙ psi_0 is the problem's own start; its gradient is c ⊙ ∇f(c ⊙ psi) and its Hessian-vector product
//             c ⊙ H (c ⊙ v). The optimizer sees only psi.
// With S = 1 and R = 0 (the defaults) the problem is built as it always was and its canonical spec does not
// name them, so caches, shipped rates and fingerprints are unchanged.
#include "problems/Problem.h"

#include <memory>

namespace l2l {

// The generic options, as listed with every problem (`l2l problems`).
std::vector<OptionInfo> scalingOptions();

// Strips fscale and xscale from `spec` (validating them; `what` names the owner in messages) and returns them.
struct Scaling {
    double fscale = 1.0;
    double xscale = 0.0;
    bool identity() const { return fscale == 1.0 && xscale == 0.0; }
};
Scaling takeScaling(Spec& spec, const std::string& what);

// `inner` with `scaling` applied (see above).
template <typename T>
std::unique_ptr<ProblemClass<T>> makeScaledClass(std::unique_ptr<ProblemClass<T>> inner, const Scaling& scaling);

} // namespace l2l
