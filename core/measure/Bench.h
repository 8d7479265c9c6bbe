#pragma once
// Timings behind `l2l bench`: medians of repeated measurements, reported with what was measured.
#include <string>
#include <vector>

namespace l2l {

struct ConvNetShape;

struct BenchLine {
    std::string name;
    double median = 0; // seconds per unit
    std::string unit;  // what one unit is ("step", "parameter")
    double flops = 0;  // floating-point operations per unit, 0 if not counted
    std::string note;
};

// MNIST MLP value+gradient per step (batch 128) for the given hidden layers, and the update rules'
// time per parameter on a vector of `ruleDim` parameters. `repeats` samples per median.
std::vector<BenchLine> runBenchmarks(const std::string& mlpSpec, int repeats, int ruleDim);

// The learned optimizer: an evaluation step over the coordinates of `mlpSpec` (1 and `threads` threads),
// a meta-training episode on it (horizon 100, unroll 20) and one on 10-d quadratics.
std::vector<BenchLine> runLstmBenchmarks(const std::string& mlpSpec, int repeats, int threads);

// The neural-art loss and gradient of a size x size image (default feature network), 1 thread; FLOPs
// from the layer shapes (convFeatureFlops).
BenchLine runArtBenchmark(int size, int repeats);

// The convnet problem's loss and gradient (default net and data, batch 128), on 1 and on `threads`
// threads; FLOPs of the matrix products from the layer shapes (convNetFlops).
std::vector<BenchLine> runConvNetBenchmarks(int threads, int repeats);
// Matrix-product FLOPs of one convnet value+gradient on a batch: every conv and dense layer forward,
// its weight gradient and (all but the first conv layer) its input gradient.
double convNetFlops(const ConvNetShape& shape, int batch);

// FLOPs of one LSTM-optimizer forward step per coordinate (matrix products only; backward is twice this).
double lstmForwardFlopsPerCoordinate(int layers, int hidden, int inputSize);

// The fp32 peak of one core of this machine in GFLOP/s, measured: independent chains of fused multiply-adds on
// this build's widest SIMD packet (Eigen's: 8 floats on x86-64-v3, 16 with AVX-512 in a native build), the
// median of `repeats` samples of about 20 ms. Counts 2 FLOPs per lane per FMA. With `threads` > 1 the loop runs on
// that many threads at once and the sum is returned: the peak the threads can reach together (less than threads x
// one core's where they share a core's units, e.g. SMT siblings behind a VM's "cores").
double measurePeakGflops(int repeats = 7, int threads = 1);

// Peak resident memory of this process so far (VmHWM), in MiB; 0 if unknown.
double peakMemoryMiB();
// Resident memory of this process now (VmRSS), in MiB; 0 if unknown.
double residentMemoryMiB();

} // namespace l2l
