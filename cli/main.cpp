// onnxcut: plans split DNN inference between a device and a cloud.
// main catches everything: bad input exits 2 with one clear message,
// internal errors exit 1; never a stack trace.
#include <fmt/core.h>

#include <csignal>
#include <exception>

#include "commands.h"
#include "errors.h"
#include "flags.h"
#include "version.h"

int main(int argc, char** argv) {
  using namespace onnxcut::cli;
  // Past a file-size limit, writes fail with EFBIG (reported, exit 2)
  // instead of the process being killed half-way.
  std::signal(SIGXFSZ, SIG_IGN);
  CLI::App app{"onnxcut: plans split DNN inference between a device and a cloud", "onnxcut"};
  app.require_subcommand(1);
  const std::string version = std::string("onnxcut ") + onnxcut::toolVersion();
  app.set_version_flag("--version", version);
  Action run;
  registerInspect(app, run);
  registerPlan(app, run);
  registerSelect(app, run);
  registerSimulate(app, run);
  registerProfile(app, run);
  registerCalibrate(app, run);
  registerPlot(app, run);
  registerGraph(app, run);
  registerProfiles(app, run);
  registerHelp(app, run);
  // --version (and --help) on every command: read before its required
  // arguments are checked.
  for (auto* sub : app.get_subcommands([](CLI::App*) { return true; })) sub->set_version_flag("--version", version);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }
  try {
    return run();
  } catch (const onnxcut::InputError& e) {
    fmt::print(stderr, "onnxcut: error: {}\n", e.message(flagName));
    return kExitBadInput;
  } catch (const std::exception& e) {
    fmt::print(stderr, "onnxcut: internal error (please report): {}\n", e.what());
    return kExitInternal;
  } catch (...) {
    fmt::print(stderr, "onnxcut: internal error (please report)\n");
    return kExitInternal;
  }
}
