// The engine target with the engine's own loader; kept apart from engine_target.cpp so
// that code using EngineTarget with another loader (tests) does not need the engine.
#include "bench/engine_target.h"

namespace edgelm::bench {

std::unique_ptr<BenchTarget> MakeEngineTarget() { return std::make_unique<EngineTarget>(&Model::Load); }

}  // namespace edgelm::bench
