// One class per architecture family (arch/<family>.cpp): which tensors it needs and how
// one transformer layer is computed from the shared ops. Everything else (embedding,
// final norm, output head, KV cache, batching, threads) is the same for every family and
// lives in the session, so no switch over architectures runs through the forward pass.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "model/ops.h"
#include "model/weights.h"

namespace edgelm {

class Architecture {
 public:
  virtual ~Architecture() = default;
  virtual const char* name() const = 0;
  // Looks up and checks every tensor of the family.
  virtual Status BindWeights(const TensorBinder& binder, ModelWeights& weights) const = 0;
  // Updates c.x (the residual stream of the batch) through layer `layer`.
  virtual void ForwardLayer(const ForwardContext& c, uint32_t layer) const = 0;
};

const Architecture& LlamaArchitecture();
const Architecture& Qwen2Architecture();

// The family for general.architecture, or null when it is not supported.
const Architecture* FindArchitectureOrNull(std::string_view name);
// "llama, qwen2", for error messages.
std::string SupportedArchitectureNames();

}  // namespace edgelm
