// TelemetryReport as JSON, for bench/study writers that want the figures as they are:
// a value that was not obtained is null with a "..._reason" next to it, never 0.
#pragma once

#include <string>

#include "telemetry/telemetry.h"

namespace edgelm::telemetry {

std::string TelemetryReportJson(const TelemetryReport& report, int indent = 2);

}  // namespace edgelm::telemetry
