// Causal attention over the KV cache, flash-attention style: a work item is one token and
// one KV group (the query heads that share a KV head under GQA), optionally a slice of
// the group's heads; keys are visited in blocks of kKeyBlock positions with an online
// softmax, so the scores and weights of a block live in a small per-thread buffer and
// each key/value block is loaded once for all heads of the group.
//
// Determinism: a head's result depends only on its token's position and the cache, never
// on which other heads or tokens share its item or thread (every product is one vec_dot,
// or a tile kernel that is bit-identical to it per element), so logits are bit-identical
// for any thread count and batch split, and decode equals prefill.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "kernels/kernel_table.h"
#include "model/hparams.h"

namespace edgelm {

// Keys per block of the online softmax. 256 keys of a 64-dim F16 head are 32 KiB of keys
// and 32 KiB of values, read from L1/L2 by every head of the group. Shorter blocks make
// more and shorter value dot products: with vec_dot, 128 measured about 5 % slower than
// 256 at 2048 positions on qwen2.5-0.5b's shape (docs/PERFORMANCE.md).
inline constexpr uint32_t kKeyBlock = 256;

// Per-thread buffers of the attention, for the rows (query heads) of one item padded to
// the tile kernel's token count.
struct AttentionScratch {
  uint32_t rows = 0;            // capacity in rows
  uint32_t key_block = 0;       // keys per block
  std::vector<uint8_t> q_act;   // [rows][head_dim] queries in the cache type
  std::vector<float> scores;    // [rows][key_block] scores, then weights of one block
  std::vector<uint8_t> p_act;   // [rows][key_block] weights in the cache type
  std::vector<float> acc;       // [rows][head_dim] unnormalised output
  std::vector<float> pv;        // [rows][head_dim] weights x values of one block
  std::vector<float> row_max;   // running maximum score per row
  std::vector<float> alpha;     // per row: exp(old max - new max) of the current block
  std::vector<double> row_sum;  // running sum of exp(score - max) per row
  uint64_t bytes() const {
    return q_act.capacity() + scores.capacity() * sizeof(float) + p_act.capacity() +
           (acc.capacity() + pv.capacity() + row_max.capacity() + alpha.capacity()) * sizeof(float) + row_sum.capacity() * sizeof(double);
  }
};

// Sizes `s` for `hp` and the cache type's kernels `tk` (may throw std::bad_alloc).
// `key_block` other than kKeyBlock is for tests (many blocks on short sequences); the
// result does not depend on it beyond float rounding.
void ResizeAttentionScratch(const HParams& hp, const TypeKernels& tk, AttentionScratch& s,
                            uint32_t key_block = kKeyBlock);

// How one Attention call divides its work: items ordered (token, KV group, slice of the
// group's heads), each costing (keys it sees) x (heads in it); thread ith of nth takes
// a contiguous item range of about equal cost, since later tokens of a causal batch see
// more keys than earlier ones.
class AttentionSplit {
 public:
  // Groups are cut into slices of heads only when there are too few (token, group)
  // items to keep nth threads busy (decode).
  AttentionSplit(const HParams& hp, int64_t n_tokens, uint32_t n_past, int nth);

  int64_t n_items() const { return n_tokens_ * n_head_kv_ * n_slices_; }
  int64_t token(int64_t item) const { return item / (n_head_kv_ * n_slices_); }
  uint32_t group(int64_t item) const { return static_cast<uint32_t>(item / n_slices_ % n_head_kv_); }
  // Query heads [first, last) of the item.
  std::pair<uint32_t, uint32_t> heads(int64_t item) const;
  uint32_t max_heads_per_item() const { return heads_per_slice_; }
  // Keys the item's token sees (causal: positions 0..n_past + t).
  uint32_t n_seen(int64_t item) const { return n_past_ + static_cast<uint32_t>(token(item)) + 1; }
  uint64_t cost(int64_t item) const;
  // Total cost of items [0, item).
  uint64_t PrefixCost(int64_t item) const;
  // Items of thread ith of nth: an item goes to the thread whose equal share of the
  // total cost contains the item's midpoint.
  std::pair<int64_t, int64_t> Range(int ith, int nth) const;

 private:
  int64_t n_tokens_;
  uint32_t n_past_;
  uint32_t n_head_kv_;
  uint32_t group_;            // query heads per KV head
  uint32_t n_slices_;         // slices per group
  uint32_t heads_per_slice_;  // the last slice may hold fewer
};

}  // namespace edgelm
