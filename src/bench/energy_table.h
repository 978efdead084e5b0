// The Markdown energy table of a benchmark report (writers.cpp prints it below the
// memory table when any configuration carries energy figures).
#pragma once

#include <string>
#include <vector>

#include "bench/run_record.h"

namespace edgelm::bench {

// "" when no record has energy figures. Columns: model, threads, test, source,
// J/tok pp, J/tok dec (with "(est.)" for estimates), tok/J dec, W dec, net J/tok dec,
// max °C, MHz, throttling; then the reasons for absent figures and the sources' coverage.
std::string FormatEnergyMarkdown(const std::vector<ConfigRecord>& records);

}  // namespace edgelm::bench
