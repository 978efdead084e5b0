// A number with where it comes from. The feasibility study mixes figures of very
// different standing (a vendor's datasheet, a measurement on this machine, an
// assumption made to get an answer at all); every figure the analysis layer reads or
// derives from a device profile or price table carries its provenance so the report can
// label it. A figure nobody knows is absent (std::nullopt), never 0.
#pragma once

#include <optional>
#include <string>

#include "core/status.h"

namespace edgelm::analysis {

enum class Provenance {
  kPublished,  // a vendor's or provider's published figure (datasheet, price list)
  kMeasured,   // measured on this machine by edgelm
  kAssumed,    // an assumption or an estimate derived by arithmetic; says which
};

// "published" | "measured" | "assumed".
const char* ProvenanceName(Provenance p);
Result<Provenance> ParseProvenance(const std::string& name);

struct Figure {
  double value = 0;
  Provenance provenance = Provenance::kAssumed;
  std::string source;  // URL, file, or the reasoning behind an assumption
  std::string date;    // when the figure was found / published (YYYY-MM-DD), if known
};

}  // namespace edgelm::analysis
