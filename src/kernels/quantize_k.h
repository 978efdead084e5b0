// Reference weight quantizers of the K-quants (internal to the kernels layer; public
// entry point: QuantizeRows in quantize.h). Each super-block of 256 values gets per
// sub-block scales (and mins) found by a weighted least-squares search, then the scales
// themselves are quantized to 4/6/8 bits against one fp16 super-block scale, and finally
// every value is re-quantized with the scale it will actually be decoded with.
// n must be a multiple of 256.
#pragma once

#include <cstdint>

namespace edgelm {

void QuantizeRowQ2_KWeights(const float* x, void* out, int64_t n);
void QuantizeRowQ3_KWeights(const float* x, void* out, int64_t n);
void QuantizeRowQ4_KWeights(const float* x, void* out, int64_t n);
void QuantizeRowQ5_KWeights(const float* x, void* out, int64_t n);
void QuantizeRowQ6_KWeights(const float* x, void* out, int64_t n);

}  // namespace edgelm
