// The scalar reference kernels: the specification every SIMD path is tested against.
#pragma once

#include "kernels/kernel_table.h"

namespace edgelm {

// Fills `table` with the scalar kernels of every weight type the engine supports
// (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K) and sets
// table.isa = Isa::kScalar. Types left unsupported keep supported == false.
void FillScalarKernels(KernelTable& table);

}  // namespace edgelm
