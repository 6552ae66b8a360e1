// Subcommands of the onnxcut CLI. Each registers its options on the app and
// sets `run` to its action when selected.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace onnxcut::cli {

using Action = std::function<int()>;

void registerInspect(CLI::App& app, Action& run);
void registerPlan(CLI::App& app, Action& run);
void registerSelect(CLI::App& app, Action& run);
void registerSimulate(CLI::App& app, Action& run);
void registerProfile(CLI::App& app, Action& run);
void registerCalibrate(CLI::App& app, Action& run);
void registerPlot(CLI::App& app, Action& run);
void registerGraph(CLI::App& app, Action& run);
void registerHelp(CLI::App& app, Action& run);
void registerProfiles(CLI::App& app, Action& run);

// Exit codes (README "Exit codes").
constexpr int kExitOk = 0;
constexpr int kExitInternal = 1;
constexpr int kExitBadInput = 2;
constexpr int kExitGateFailed = 3;  // simulate --fail-if: a gate's condition held

}  // namespace onnxcut::cli
