// `onnxcut help [COMMAND]` and `onnxcut profiles`: what the tool offers,
// without reading an error message to find out.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "data_dir.h"
#include "errors.h"
#include "hw_profile.h"

namespace onnxcut::cli {

void registerHelp(CLI::App& app, Action& run) {
  auto* cmd = app.add_subcommand("help", "Show the usage of onnxcut or of one of its commands");
  auto topic = std::make_shared<std::string>();
  cmd->add_option("command", *topic, "A command (inspect, plan, select, ...)");
  cmd->callback([&app, &run, topic] {
    run = [&app, topic] {
      if (topic->empty()) {  // app.help() would show the selected command's (help's own)
        fmt::print("{}", app.get_formatter()->make_help(&app, app.get_name(), CLI::AppFormatMode::Normal));
        return kExitOk;
      }
      for (auto* sub : app.get_subcommands([](CLI::App*) { return true; }))
        if (sub->get_name() == *topic) {  // as `onnxcut COMMAND --help` shows it
          fmt::print("{}", app.get_formatter()->make_help(sub, app.get_name() + " " + sub->get_name(),
                                                          CLI::AppFormatMode::Normal));
          return kExitOk;
        }
      std::string names;
      for (auto* sub : app.get_subcommands([](CLI::App*) { return true; }))
        names += (names.empty() ? "" : ", ") + sub->get_name();
      throw InputError("help: no command '" + *topic + "' (commands: " + names + ")");
    };
  });
}

void registerProfiles(CLI::App& app, Action& run) {
  auto* cmd = app.add_subcommand("profiles", "List the bundled hardware profiles (--device/--cloud names)");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "One JSON array");
  cmd->callback([&run, json] {
    run = [json] {
      nlohmann::json out = nlohmann::json::array();
      std::vector<HwProfile> profiles;
      for (const auto& name : bundledProfiles()) profiles.push_back(readProfile(resolveProfilePath(name)));
      if (profiles.empty())
        throw InputError("no bundled profiles found (onnxcut's data folder: " +
                         (dataDir().empty() ? std::string("none found") : dataDir() + "/profiles is empty") +
                         "; set ONNXCUT_DATA_DIR to the share/onnxcut folder of an installation)");
      if (*json) {
        for (const auto& p : profiles)
          out.push_back({{"name", p.name}, {"description", p.description},
                         {"compute_precision", p.compute_precision}, {"peak_gflops", p.peak_gflops},
                         {"memory_gbps", p.memory_gbps},
                         {"path", resolveProfilePath(p.name)}});
        fmt::print("{}\n", out.dump(2));
        return kExitOk;
      }
      size_t width = 4;
      for (const auto& p : profiles) width = std::max(width, p.name.size());
      fmt::print("{:<{}}  {:>12}  {:>8}  {}\n", "name", width, "peak GFLOP/s", "mem GB/s", "description");
      for (const auto& p : profiles) {
        std::string what = p.description.substr(0, p.description.find_first_of(":,("));
        while (!what.empty() && what.back() == ' ') what.pop_back();
        if (what.size() > 60) what = what.substr(0, 57) + "...";
        fmt::print("{:<{}}  {:>12.1f}  {:>8.1f}  {}\n", p.name, width, p.peak_gflops, p.memory_gbps, what);
      }
      fmt::print("(from {}/profiles, {})\n", dataDir(), dataDirOrigin());
      return kExitOk;
    };
  });
}

}  // namespace onnxcut::cli
