#include "sim/cosim_build.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "gen/generate.hpp"

namespace macforge::sim {

namespace fs = std::filesystem;

uint64_t fnv1a(const std::string& bytes, uint64_t h) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

namespace {

std::string hex64(uint64_t v) {
  char b[20];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
  return b;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path& p, const std::string& text) {
  fs::path tmp = p.string() + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("cannot write '" + tmp.string() + "'");
  }
  fs::rename(tmp, p);
}

// Single-quoted for /bin/sh.
std::string sh(const std::string& s) {
  std::string o = "'";
  for (char c : s) {
    if (c == '\'') o += "'\\''";
    else o += c;
  }
  return o + "'";
}

std::string tail(const std::string& text, size_t lines) {
  size_t pos = text.size();
  for (size_t n = 0; n <= lines && pos > 0; ++n) {
    size_t p = text.rfind('\n', pos - 1);
    if (p == std::string::npos) return text;
    pos = p;
  }
  return text.substr(pos + 1);
}

// Runs a shell command with its output appended to log_path; throws with the
// log's tail on failure.
void run(const std::string& cmd, const fs::path& log_path, const std::string& what) {
  std::string full = "(" + cmd + ") >> " + sh(log_path.string()) + " 2>&1";
  int rc = std::system(full.c_str());
  if (rc != 0) {
    std::string log = read_file(log_path);
    throw std::runtime_error(what + " failed (exit " + std::to_string(WIFEXITED(rc) ? WEXITSTATUS(rc) : rc) +
                             "); log " + log_path.string() + ":\n" + tail(log, 25));
  }
}

class FileLock {
 public:
  explicit FileLock(const fs::path& p) {
    fd_ = ::open(p.c_str(), O_RDWR | O_CREAT, 0644);
    if (fd_ < 0) throw std::runtime_error("cannot create lock file '" + p.string() + "'");
    ::flock(fd_, LOCK_EX);
  }
  ~FileLock() {
    if (fd_ >= 0) {
      ::flock(fd_, LOCK_UN);
      ::close(fd_);
    }
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

std::string verilator_version(const std::string& verilator) {
  FILE* p = ::popen((sh(verilator) + " --version 2>/dev/null").c_str(), "r");
  if (!p) return "";
  char buf[256];
  std::string s;
  while (std::fgets(buf, sizeof buf, p)) s += buf;
  int rc = ::pclose(p);
  if (rc != 0 || s.empty())
    throw std::runtime_error("'" + verilator + " --version' failed: is Verilator installed? (apt-get install verilator)");
  return s;
}

}  // namespace

std::string default_cosim_cache() {
  if (const char* c = std::getenv("MACFORGE_CACHE"); c && *c) return c;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/macforge/cosim";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/macforge/cosim";
  return "/tmp/macforge-cosim";
}

CosimModel ensure_cosim_model(const gen::ArrayConfig& cfg, bool trace, const std::string& cache_dir,
                              const CosimToolchain& tc, std::ostream& log, Harness harness) {
  const bool sc = harness == Harness::SystemC;
  std::error_code ec;
  fs::path cache = fs::absolute(cache_dir);
  fs::create_directories(cache, ec);
  if (ec) throw std::runtime_error("cannot create the cache directory '" + cache.string() + "': " + ec.message());
  std::string vversion = verilator_version(tc.verilator);

  // 1. Generate the RTL into a scratch directory and key the model by it.
  fs::path scratch = cache / (".gen-" + std::to_string(::getpid()) + "-" +
                              std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  gen::GenerateResult g;
  try {
    g = gen::generate(cfg, scratch.string());
  } catch (...) {
    fs::remove_all(scratch, ec);
    throw;
  }
  uint64_t key = fnv1a(std::string(sc ? "macforge-cosim-model-1\n" : "macforge-plain-model-1\n") + vversion +
                       (trace ? "trace\n" : "notrace\n"));
  for (const std::string& f : g.files) key = fnv1a(f + "\n" + read_file(scratch / f), key);
  CosimModel m;
  m.key = hex64(key);
  m.dir = (cache / m.key).string();
  fs::path dir = m.dir;
  FileLock lock(cache / (m.key + ".lock"));
  if (!fs::exists(dir / "rtl" / "files.f")) {
    fs::create_directories(dir, ec);
    fs::remove_all(dir / "rtl", ec);
    fs::rename(scratch, dir / "rtl", ec);
    if (ec) throw std::runtime_error("cannot move the generated RTL into '" + dir.string() + "': " + ec.message());
  } else {
    fs::remove_all(scratch, ec);
  }

  // 2. What the executable is linked from: the libraries and the sources it compiles.
  uint64_t link = fnv1a(m.key);
  for (const std::string& lib : tc.libs) link = fnv1a(lib + "\n" + read_file(lib), link);
  for (const auto& e : fs::directory_iterator(fs::path(tc.source_dir) / "sim")) {
    std::string ext = e.path().extension().string();
    if (ext == ".hpp" || e.path().filename() == "cosim_main.cpp" || e.path().filename() == "plain_main.cpp")
      link = fnv1a(e.path().filename().string() + read_file(e.path()), link);
  }
  std::string stamp = hex64(link) + (trace ? " trace" : "") + "\n";
  m.exe = (dir / "obj" / "cosim").string();
  if (fs::exists(m.exe) && fs::exists(dir / "stamp") && read_file(dir / "stamp") == stamp) return m;

  // 3. Verilate and build (incremental when only the libraries changed).
  std::string top = g.top, vtop = "V" + g.top;
  std::ostringstream hdr;
  hdr << "// Generated by macforge cosim: the verilated model this executable drives.\n#pragma once\n"
      << "#define MF_VTOP " << vtop << "\n#define MF_VTOP_HEADER \"" << vtop << ".h\"\n"
      << "#define MF_CONFIG_HASH 0x" << hex64(cfg.hash()) << "ull\n"
      << (trace ? "#define MF_TRACE 1\n" : "");
  fs::create_directories(dir / "include", ec);
  std::string hdr_text = hdr.str();
  if (!fs::exists(dir / "include" / "cosim_model.h") || read_file(dir / "include" / "cosim_model.h") != hdr_text)
    write_file(dir / "include" / "cosim_model.h", hdr_text);
  fs::remove(dir / "stamp", ec);
  fs::remove(m.exe, ec);  // make does not see the libraries: force the relink
  fs::path log_path = dir / "build.log";
  log << "macforge cosim: building the " << (sc ? "co-simulation" : "plain Verilator") << " model " << m.key << " (" << cfg.name << ", "
      << cfg.rows << "x" << cfg.cols << ") in " << dir.string() << "\n";
  std::string cflags = "-std=gnu++17 -O2 -I" + tc.source_dir + " -I" + (dir / "include").string();
  std::string ldflags;
  for (const std::string& l : tc.libs) ldflags += l + " ";
  for (const std::string& l : tc.ldlibs) ldflags += l + " ";
  std::ostringstream cmd;
  cmd << "cd " << sh(dir.string()) << " && SYSTEMC_INCLUDE=" << sh(tc.systemc_include)
      << " SYSTEMC_LIBDIR=" << sh(tc.systemc_libdir) << " " << sh(tc.verilator)
      << (sc ? " --sc" : " --cc") << " --exe --build -j " << tc.jobs << " -Wno-fatal -Wno-lint -Wno-style"
      << (trace ? " --trace" : "") << " --top-module " << top << " -Mdir obj -o cosim"
      << " -F rtl/files.f " << sh((fs::path(tc.source_dir) / "sim" / (sc ? "cosim_main.cpp" : "plain_main.cpp")).string())
      << " -CFLAGS " << sh(cflags) << " -LDFLAGS " << sh(ldflags)
      << " -MAKEFLAGS " << sh("OPT_FAST=-O2 OPT_SLOW=-O1 OPT_GLOBAL=-O2");
  write_file(log_path, "$ " + cmd.str() + "\n");
  run(cmd.str(), log_path,
      sc ? "building the co-simulation model (verilator --sc --build)" : "building the plain model (verilator --cc --build)");
  if (!fs::exists(m.exe)) throw std::runtime_error("verilator --build produced no '" + m.exe + "'");
  write_file(dir / "stamp", stamp);
  m.built = true;
  return m;
}

}  // namespace macforge::sim
