#pragma once
// Every random stream of L2L Studio, named in one place. A stream is deriveSeed(seed, index, STREAM) (or
// deriveSeed(seed, STREAM) for one draw per seed), so two streams never share numbers unless they share every
// argument. The values are part of the published numbers (`l2l fingerprint`): never change one.
//
// Which instances an optimizer sees:
//   evaluation run r      deriveSeed(evalSeed,  r,     kEvalInstances)   the same for every optimizer (paired)
//   tuning run r          deriveSeed(tuneSeed,  r,     kTuneInstances)   never an evaluation instance
//   training epoch e      deriveSeed(trainSeed, e,     kTrainInstances)   (meta-batch member 0)
//     member b >= 1       deriveSeed(deriveSeed(trainSeed, e, kTrainInstances), b, kTrainBatchMembers)
//   validation run r      deriveSeed(trainSeed, r,     kValidInstances)
//   selection run r       deriveSeed(selectSeed, r,    kSelectInstances) `l2l select`: never an evaluation instance
// Inside one instance (its seed s from the streams above):
//   initial MLP weights           deriveSeed(s, kMlpInitialWeights)
//   minibatch of step t           deriveSeed(s, t, kMinibatches)
//   neural art: initial noise     deriveSeed(s, kArtInitialNoise)
//   neural art: content crop      deriveSeed(s, kArtContentCrop)
//   conv net initial weights      deriveSeed(s, kConvNetInitialWeights)
//   fixed conv features (art)     deriveSeed(featureSeed, kConvFeatureWeights)
//   random scaling (xscale=)      deriveSeed(s, kRandomScaling)
// Of a training run (seed = the training seed):
//   the LSTM's initial weights    deriveSeed(trainSeed, 0, kInitialLstmWeights)
//
// kMlpInitialWeights, kArtInitialNoise and kInitialLstmWeights have the same value (0x1417, kept for the
// published numbers); they cannot collide: the first two take an instance seed in the second argument position
// of a two-word derivation, the last a training seed in a three-word one.
#include <cstdint>

namespace l2l {

constexpr std::uint64_t kEvalInstances = 0xE7A1;
constexpr std::uint64_t kTuneInstances = 0x7E57;
constexpr std::uint64_t kTrainInstances = 0x7A1;
constexpr std::uint64_t kValidInstances = 0x7A11D;
constexpr std::uint64_t kTrainBatchMembers = 0x7A1B;
constexpr std::uint64_t kSelectInstances = 0x5E1EC7;

constexpr std::uint64_t kMlpInitialWeights = 0x1417;
constexpr std::uint64_t kMinibatches = 0xBA7C;
constexpr std::uint64_t kArtInitialNoise = 0x1417;
constexpr std::uint64_t kArtContentCrop = 0xA47;
constexpr std::uint64_t kConvNetInitialWeights = 0xC0417;
constexpr std::uint64_t kConvFeatureWeights = 0xC0DE;
constexpr std::uint64_t kRandomScaling = 0x5CA1E;

constexpr std::uint64_t kInitialLstmWeights = 0x1417;

} // namespace l2l
