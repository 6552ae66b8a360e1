// Child processes without a shell: the program and its arguments go to
// posix_spawnp as a vector, so no user string is ever parsed by a shell.
#pragma once
#include <string>
#include <vector>

namespace onnxcut {

struct ProcessResult {
  bool started = false;  // false: the program could not be run (not found)
  int exit_code = -1;    // the exit status, or 128 + signal number
  std::string out;       // standard output, when captured
};

// Runs argv[0], looked up in PATH, with argv[1..]. Standard output is
// captured when `capture_stdout`, else inherited. Standard error is
// inherited; with `plain_stderr`, when ours is not a terminal, the child's
// goes through a pipe and is relayed as it comes with terminal colour codes
// removed (ONNX Runtime colours its log lines whatever its stderr is).
ProcessResult runProcess(const std::vector<std::string>& argv, bool capture_stdout = false, bool plain_stderr = false);

// `text` without ANSI escape sequences (CSI: ESC [ ... final byte).
std::string stripAnsi(const std::string& text);

// Whether `program` is an executable file in PATH (or a path to one).
bool programExists(const std::string& program);

}  // namespace onnxcut
