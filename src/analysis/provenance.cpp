#include "analysis/provenance.h"

namespace edgelm::analysis {

const char* ProvenanceName(Provenance p) {
  switch (p) {
    case Provenance::kPublished: return "published";
    case Provenance::kMeasured: return "measured";
    case Provenance::kAssumed: return "assumed";
  }
  return "assumed";
}

Result<Provenance> ParseProvenance(const std::string& name) {
  if (name == "published") return Provenance::kPublished;
  if (name == "measured") return Provenance::kMeasured;
  if (name == "assumed") return Provenance::kAssumed;
  return InvalidArgumentError("provenance '" + name + "' is not one of published, measured, assumed");
}

}  // namespace edgelm::analysis
