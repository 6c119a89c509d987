// libFuzzer harness: the sweep file reader (sweep/spec.cpp load_sweep) and the
// expansion into points. The input is written to a file in a private temp
// directory (load_sweep reads a path; relative layer files resolve there, and
// the harness puts a small layers.csv beside it). Bad files must throw
// SweepError.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "sweep/spec.hpp"

using namespace macforge::sweep;

namespace {
std::string g_dir;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  char tmpl[] = "/tmp/macforge_fuzz_sweep.XXXXXX";
  if (!mkdtemp(tmpl)) std::abort();
  g_dir = tmpl;
  std::ofstream(g_dir + "/layers.csv") << "name,M,N,K\nfc,16,16,16\n";
  std::atexit([] {
    std::remove((g_dir + "/layers.csv").c_str());
    std::remove((g_dir + "/sweep.yaml").c_str());
    rmdir(g_dir.c_str());
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string path = g_dir + "/sweep.yaml";
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(data), std::streamsize(size));
  }
  try {
    SweepSpec spec = load_sweep(path);
    Expansion e = expand(spec, "fuzz");
    for (const Point& p : e.points) (void)point_config_yaml(spec, p);
  } catch (const SweepError&) {
  }
  return 0;
}
