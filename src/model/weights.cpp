#include "model/weights.h"

#include "kernels/ref/ref_kernels.h"

namespace edgelm {
namespace {

// A type is usable when the scalar kernels (which every ISA path builds on) have it.
bool CanCompute(GgmlType type) {
  static const KernelTable kScalar = [] {
    KernelTable t;
    FillScalarKernels(t);
    return t;
  }();
  const uint32_t id = static_cast<uint32_t>(type);
  if (id >= static_cast<uint32_t>(kMaxGgmlTypeId)) return false;
  const TypeKernels& k = kScalar.For(type);
  return k.supported && k.vec_dot && k.dequantize;
}

}  // namespace

std::string ShapeString(const int64_t* ne, uint32_t n_dims) {
  std::string s = "[";
  for (uint32_t i = 0; i < n_dims; ++i) {
    if (i) s += ", ";
    s += std::to_string(ne[i]);
  }
  return s + "]";
}

Result<const GgufTensorInfo*> TensorBinder::Find(const std::string& name) const {
  const GgufTensorInfo* t = file_.FindTensorOrNull(name);
  if (!t) {
    return NotFoundError("tensor '" + name + "' is missing from " + file_.name() + " (needed by architecture '" +
                         hp_.arch + "'; incomplete conversion or a different architecture?)");
  }
  return t;
}

Result<WeightView> TensorBinder::Matrix(const std::string& name, int64_t n_in, int64_t n_out) const {
  EDGELM_ASSIGN_OR_RETURN(const GgufTensorInfo* t, Find(name));
  const int64_t expected[2] = {n_in, n_out};
  if (t->n_dims != 2 || t->ne[0] != n_in || t->ne[1] != n_out) {
    return CorruptError("tensor '" + name + "' has shape " + ShapeString(t->ne, t->n_dims) + ", expected " +
                        ShapeString(expected, 2) + " from the metadata (n_embd=" + std::to_string(hp_.n_embd) +
                        ", n_head=" + std::to_string(hp_.n_head) + ", n_head_kv=" + std::to_string(hp_.n_head_kv) +
                        ", head_dim=" + std::to_string(hp_.head_dim) + ", n_ff=" + std::to_string(hp_.n_ff) +
                        ", n_vocab=" + std::to_string(hp_.n_vocab) + ")");
  }
  if (!CanCompute(t->type)) {
    return UnsupportedError("unsupported weight type " + GgmlTypeName(t->type) + " in tensor '" + name +
                            "' (supported: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K..Q6_K)");
  }
  std::optional<uint64_t> row_bytes = GgmlRowBytes(t->type, static_cast<uint64_t>(n_in));
  if (!row_bytes) {
    return CorruptError("tensor '" + name + "' of type " + GgmlTypeName(t->type) + " has rows of " +
                        std::to_string(n_in) + " elements, not a multiple of the type's block size");
  }
  if (*row_bytes * static_cast<uint64_t>(n_out) != t->n_bytes) {
    return CorruptError("tensor '" + name + "' holds " + std::to_string(t->n_bytes) + " bytes, expected " +
                        std::to_string(*row_bytes * static_cast<uint64_t>(n_out)));
  }
  WeightView w;
  w.type = t->type;
  w.data = t->data;
  w.n_in = n_in;
  w.n_out = n_out;
  w.row_bytes = *row_bytes;
  return w;
}

Result<const float*> TensorBinder::Vector(const std::string& name, int64_t n) const {
  EDGELM_ASSIGN_OR_RETURN(const GgufTensorInfo* t, Find(name));
  if (t->n_elements != static_cast<uint64_t>(n) || t->ne[0] != n) {
    const int64_t expected[1] = {n};
    return CorruptError("tensor '" + name + "' has shape " + ShapeString(t->ne, t->n_dims) + ", expected " +
                        ShapeString(expected, 1) + " from the metadata");
  }
  if (t->type != GgmlType::kF32) {
    return UnsupportedError("unsupported weight type " + GgmlTypeName(t->type) + " in 1-D tensor '" + name +
                            "': norms, biases and rope factors must be F32 (as llama.cpp's converter writes them)");
  }
  // The GGUF alignment (a power of two >= 4 in practice) keeps F32 data 4-byte aligned;
  // a file with a smaller alignment could place it otherwise.
  if (reinterpret_cast<uintptr_t>(t->data) % alignof(float) != 0) {
    return CorruptError("tensor '" + name + "' is not 4-byte aligned in the file (alignment " +
                        std::to_string(file_.alignment()) + ")");
  }
  return reinterpret_cast<const float*>(t->data);
}

Status BindCommonWeights(const TensorBinder& b, ModelWeights& w) {
  const HParams& hp = b.hparams();
  EDGELM_ASSIGN_OR_RETURN(w.token_embd, b.Matrix("token_embd.weight", hp.n_embd, hp.n_vocab));
  EDGELM_ASSIGN_OR_RETURN(w.output_norm, b.Vector("output_norm.weight", hp.n_embd));
  w.tied_output = !b.Has("output.weight");
  if (w.tied_output) {
    w.output = w.token_embd;
  } else {
    EDGELM_ASSIGN_OR_RETURN(w.output, b.Matrix("output.weight", hp.n_embd, hp.n_vocab));
  }
  w.layers.resize(hp.n_layer);
  for (uint32_t i = 0; i < hp.n_layer; ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    LayerWeights& l = w.layers[i];
    EDGELM_ASSIGN_OR_RETURN(l.attn_norm, b.Vector(p + "attn_norm.weight", hp.n_embd));
    EDGELM_ASSIGN_OR_RETURN(l.wq, b.Matrix(p + "attn_q.weight", hp.n_embd, hp.n_q()));
    EDGELM_ASSIGN_OR_RETURN(l.wk, b.Matrix(p + "attn_k.weight", hp.n_embd, hp.n_kv()));
    EDGELM_ASSIGN_OR_RETURN(l.wv, b.Matrix(p + "attn_v.weight", hp.n_embd, hp.n_kv()));
    EDGELM_ASSIGN_OR_RETURN(l.wo, b.Matrix(p + "attn_output.weight", hp.n_q(), hp.n_embd));
    EDGELM_ASSIGN_OR_RETURN(l.ffn_norm, b.Vector(p + "ffn_norm.weight", hp.n_embd));
    EDGELM_ASSIGN_OR_RETURN(l.w_gate, b.Matrix(p + "ffn_gate.weight", hp.n_embd, hp.n_ff));
    EDGELM_ASSIGN_OR_RETURN(l.w_up, b.Matrix(p + "ffn_up.weight", hp.n_embd, hp.n_ff));
    EDGELM_ASSIGN_OR_RETURN(l.w_down, b.Matrix(p + "ffn_down.weight", hp.n_ff, hp.n_embd));
  }
  return Status::Ok();
}

}  // namespace edgelm
