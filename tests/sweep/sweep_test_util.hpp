// Helpers of the sweep tests: running the macforge binary, reading results.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace mf_test {

namespace fs = std::filesystem;
using json = nlohmann::json;

inline std::string data(const std::string& f) { return std::string(MF_SWEEP_DATA) + "/" + f; }

// A fresh directory under the build tree.
inline std::string work_dir(const std::string& name) {
  std::string d = std::string(MF_WORK_DIR) + "/" + name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

inline std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string q(const std::string& s) {
  std::string o = "'";
  for (char c : s) o += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return o + "'";
}

struct Result {
  int code = -1;
  std::string out, err;
};

// Runs `macforge ARGS` (a shell string), capturing stdout and stderr.
inline Result mf(const std::string& args, const std::string& tag = "run") {
  std::string dir = std::string(MF_WORK_DIR) + "/_runs";
  fs::create_directories(dir);
  std::string o = dir + "/" + tag + ".out", e = dir + "/" + tag + ".err";
  std::string cmd = q(MF_MACFORGE) + " " + args + " > " + q(o) + " 2> " + q(e);
  int st = std::system(cmd.c_str());
  Result r;
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.out = read(o);
  r.err = read(e);
  return r;
}

inline Result shell(const std::string& cmd, const std::string& tag = "sh") {
  std::string dir = std::string(MF_WORK_DIR) + "/_runs";
  fs::create_directories(dir);
  std::string o = dir + "/" + tag + ".out", e = dir + "/" + tag + ".err";
  int st = std::system((cmd + " > " + q(o) + " 2> " + q(e)).c_str());
  Result r;
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.out = read(o);
  r.err = read(e);
  return r;
}

// CSV (no quoted commas in the files the tests read, except quoted fields
// that are handled here).
inline std::vector<std::map<std::string, std::string>> read_csv(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::vector<std::string> head;
  std::vector<std::map<std::string, std::string>> rows;
  auto fields = [](const std::string& l) {
    std::vector<std::string> f;
    std::string cur;
    bool quoted = false;
    for (size_t i = 0; i < l.size(); ++i) {
      char c = l[i];
      if (quoted) {
        if (c == '"' && i + 1 < l.size() && l[i + 1] == '"') cur += '"', ++i;
        else if (c == '"') quoted = false;
        else cur += c;
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        f.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
    f.push_back(cur);
    return f;
  };
  while (std::getline(in, line)) {
    if (head.empty()) {
      head = fields(line);
      continue;
    }
    std::vector<std::string> f = fields(line);
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < head.size() && i < f.size(); ++i) row[head[i]] = f[i];
    rows.push_back(row);
  }
  return rows;
}

inline size_t count_files(const std::string& dir, const std::string& ext) {
  size_t n = 0;
  if (!fs::exists(dir)) return 0;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ext) ++n;
  return n;
}

// Starts `macforge ARGS...` in a new process group (its leader); returns the pid.
inline pid_t start_group(const std::vector<std::string>& args, const std::string& log) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    FILE* f = std::freopen(log.c_str(), "w", stderr);
    (void)f;
    f = std::freopen((log + ".stdout").c_str(), "w", stdout);
    (void)f;
    std::vector<char*> argv;
    std::string exe = MF_MACFORGE;
    argv.push_back(exe.data());
    std::vector<std::string> copy = args;
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  return pid;
}

}  // namespace mf_test
