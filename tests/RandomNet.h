#pragma once
// A learned optimizer with larger weights than LstmNet::init() gives (init plus N(0, 0.3^2) per weight), so that
// every path of the backward pass carries signal in the finite-difference tests. With several nets they differ.
#include "base/Rng.h"
#include "optimizers/LstmNet.h"

inline l2l::LstmNet<double> randomNet(const l2l::LstmArch& a, std::uint64_t seed, int nets = 1)
{
    l2l::LstmNet<double> net = l2l::LstmNet<double>::init(a, seed, nets);
    l2l::Rng rng(seed + 1);
    for (l2l::Index k = 0; k < net.params.size(); ++k) net.params(k) += 0.3 * rng.normal();
    return net;
}
