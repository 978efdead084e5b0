// A quick measurement of this machine's sustained memory read bandwidth, for the
// roofline prediction of a machine without a published figure ("this-machine"). It is a
// measurement (labelled so), of a plain summing loop: decode's weight streaming is of
// the same kind, but real kernels reach somewhat less than a pure read.
#pragma once

#include <cstdint>

#include "analysis/provenance.h"
#include "core/status.h"

namespace edgelm::analysis {

// `threads` threads (0 = every available CPU) each sum their slice of a `buffer_bytes`
// buffer; the fastest of `passes` passes counts (the first touches the pages and is
// discarded when passes > 1). Errors: a buffer under 1 MiB, passes < 1, no memory.
Result<Figure> MeasureReadBandwidth(uint64_t buffer_bytes, int threads, int passes);

}  // namespace edgelm::analysis
