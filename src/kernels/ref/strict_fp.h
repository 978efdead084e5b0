// Include last in a reference-kernel or quantizer source file: turns off fused
// multiply-add contraction for the rest of the file. GCC contracts a * b + c by default in
// C++ wherever the ISA has FMA (aarch64 always), which changes the rounding; without it
// the scalar reference computes the same bits on every platform, and the quantizers
// reproduce llama-quantize's (x86) output exactly on aarch64 too.
#pragma once

#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif
