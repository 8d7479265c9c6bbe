#pragma once
// How the processes ("ranks") of one meta-training share its meta-updates (`mpirun -n N l2l train`, README
// "Meta-training over MPI"). Every rank runs a contiguous share of each meta-batch (and of the validation runs),
// then every rank receives every member's result and does the same, fixed-order arithmetic on them: the sum of
// the meta-gradients in member order and one Adam step. The weights are then identical on all ranks and
// bit-identical to one process with the same meta-batch, however the members are split.
//
// Why an all-gather of the members' results rather than an allreduce of partial sums: float addition is not
// associative, so rank-wise partial sums ((g0 + g1) + (g2 + g3)) differ in the last bits from the one process's
// ((g0 + g1) + g2) + g3, and MPI_Allreduce does not even promise one order across rank counts. The cost is B x P
// floats received per window instead of P (README: the scaling model).
//
// The core knows only this interface (no MPI here); app/mpi implements it with MPI for the command line.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

namespace l2l {

class MemberExchange {
public:
    virtual ~MemberExchange() = default;
    virtual int rank() const = 0; // 0 .. size() - 1; rank 0 prints and writes files
    virtual int size() const = 0;
    // Collective: every rank calls it at the same point of the run with the same `counts` (bytes per rank, in rank
    // order) and its own `mine` (counts[rank()] bytes); `all` (their sum) receives every rank's bytes in rank order.
    // `where` names the point of the run ("window 3 of epoch 12") for the message that ends the job when a rank
    // does not arrive there in time.
    virtual void allgather(std::span<const std::byte> mine, std::span<std::byte> all,
                           std::span<const std::size_t> counts, const std::string& where) = 0;
};

// One process: it has all of every meta-batch.
class SingleProcess final : public MemberExchange {
public:
    int rank() const override { return 0; }
    int size() const override { return 1; }
    void allgather(std::span<const std::byte> mine, std::span<std::byte> all, std::span<const std::size_t>,
                   const std::string&) override
    {
        if (!mine.empty()) std::memcpy(all.data(), mine.data(), mine.size());
    }
};

// The items [first, last) of `count` (meta-batch members, validation runs) that rank `rank` of `ranks` runs:
// contiguous, in rank order, their sizes differing by at most one.
struct Share {
    int first = 0, last = 0;
    int size() const { return last - first; }
};
inline Share shareOf(int count, int rank, int ranks)
{
    return {int(std::int64_t(count) * rank / ranks), int(std::int64_t(count) * (rank + 1) / ranks)};
}

} // namespace l2l
