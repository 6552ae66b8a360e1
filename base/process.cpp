#include "process.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

extern char** environ;

namespace onnxcut {

ProcessResult runProcess(const std::vector<std::string>& argv, bool capture_stdout) {
  ProcessResult r;
  if (argv.empty()) return r;
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int pipe_fd[2] = {-1, -1};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (capture_stdout) {
    if (pipe2(pipe_fd, O_CLOEXEC) != 0) { posix_spawn_file_actions_destroy(&actions); return r; }
    posix_spawn_file_actions_adddup2(&actions, pipe_fd[1], STDOUT_FILENO);
  }
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (capture_stdout) close(pipe_fd[1]);
  if (rc != 0) {
    if (capture_stdout) close(pipe_fd[0]);
    return r;
  }
  r.started = true;
  if (capture_stdout) {
    char buf[1 << 16];
    for (;;) {
      const ssize_t n = read(pipe_fd[0], buf, sizeof buf);
      if (n > 0) { r.out.append(buf, static_cast<size_t>(n)); continue; }
      if (n < 0 && errno == EINTR) continue;
      break;
    }
    close(pipe_fd[0]);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
  return r;
}

bool programExists(const std::string& program) {
  if (program.empty()) return false;
  if (program.find('/') != std::string::npos) return access(program.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t pos = 0;
  while (pos <= dirs.size()) {
    const size_t end = std::min(dirs.find(':', pos), dirs.size());
    const std::string dir = end > pos ? dirs.substr(pos, end - pos) : ".";
    const std::string candidate = dir + "/" + program;
    std::error_code ec;
    if (access(candidate.c_str(), X_OK) == 0 && !std::filesystem::is_directory(candidate, ec)) return true;
    pos = end + 1;
  }
  return false;
}

}  // namespace onnxcut
