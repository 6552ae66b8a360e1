#include "process.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

extern char** environ;

namespace onnxcut {

std::string stripAnsi(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\033' && i + 1 < text.size() && text[i + 1] == '[') {
      size_t j = i + 2;
      while (j < text.size() && !(text[j] >= 0x40 && text[j] <= 0x7e)) ++j;
      i = j;  // skips the final byte too
      continue;
    }
    if (text[i] != '\033') out += text[i];
  }
  return out;
}

ProcessResult runProcess(const std::vector<std::string>& argv, bool capture_stdout, bool plain_stderr) {
  ProcessResult r;
  if (argv.empty()) return r;
  plain_stderr = plain_stderr && !isatty(STDERR_FILENO);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int out_fd[2] = {-1, -1}, err_fd[2] = {-1, -1};
  auto closeAll = [&] {
    for (int* p : {out_fd, err_fd})
      for (int k = 0; k < 2; ++k)
        if (p[k] >= 0) { close(p[k]); p[k] = -1; }
  };
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if ((capture_stdout && pipe2(out_fd, O_CLOEXEC) != 0) || (plain_stderr && pipe2(err_fd, O_CLOEXEC) != 0)) {
    posix_spawn_file_actions_destroy(&actions);
    closeAll();
    return r;
  }
  if (capture_stdout) posix_spawn_file_actions_adddup2(&actions, out_fd[1], STDOUT_FILENO);
  if (plain_stderr) posix_spawn_file_actions_adddup2(&actions, err_fd[1], STDERR_FILENO);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  for (int* p : {out_fd, err_fd})
    if (p[1] >= 0) { close(p[1]); p[1] = -1; }
  if (rc != 0) {
    closeAll();
    return r;
  }
  r.started = true;
  // Read both pipes as data comes (either could fill while we wait on the
  // other); stderr is relayed line by line, colour codes removed.
  std::string err_line;
  auto relay = [&](bool flush_all) {
    size_t nl;
    while ((nl = err_line.find('\n')) != std::string::npos) {
      const std::string line = stripAnsi(err_line.substr(0, nl + 1));
      if (write(STDERR_FILENO, line.data(), line.size()) < 0) {}
      err_line.erase(0, nl + 1);
    }
    if (flush_all && !err_line.empty()) {
      const std::string rest = stripAnsi(err_line);
      if (write(STDERR_FILENO, rest.data(), rest.size()) < 0) {}
      err_line.clear();
    }
  };
  char buf[1 << 16];
  while (out_fd[0] >= 0 || err_fd[0] >= 0) {
    pollfd fds[2];
    int n = 0;
    if (out_fd[0] >= 0) fds[n++] = {out_fd[0], POLLIN, 0};
    if (err_fd[0] >= 0) fds[n++] = {err_fd[0], POLLIN, 0};
    if (poll(fds, static_cast<nfds_t>(n), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int k = 0; k < n; ++k) {
      if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t got = read(fds[k].fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      const bool is_out = fds[k].fd == out_fd[0];
      if (got <= 0) {
        close(fds[k].fd);
        (is_out ? out_fd[0] : err_fd[0]) = -1;
        continue;
      }
      if (is_out) r.out.append(buf, static_cast<size_t>(got));
      else { err_line.append(buf, static_cast<size_t>(got)); relay(false); }
    }
  }
  relay(true);
  closeAll();
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
