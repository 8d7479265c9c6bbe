#pragma once
// Paired statistics for comparing two optimizers run on the same instances.
#include <vector>

namespace l2l {

struct PairedComparison {
    int pairs = 0;          // runs where both are finite
    double winFraction = 0; // fraction of pairs where a < b
    double meanDiff = 0;    // mean of a - b
    double t = 0;           // paired t statistic of a - b; NaN with fewer than 2 pairs or no spread (all a - b equal)
    double p = 1;           // two-sided p-value (Student t, pairs - 1 degrees of freedom); NaN where t is
};

// a[i] and b[i] are the final losses of run i (NaN = diverged: that pair is skipped).
PairedComparison pairedCompare(const std::vector<double>& a, const std::vector<double>& b);

// Two-sided p-value of a t statistic with `dof` degrees of freedom.
double studentTwoSidedP(double t, double dof);

} // namespace l2l
