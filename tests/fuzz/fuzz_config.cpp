// libFuzzer harness: the array configuration loader (gen/config.cpp). Bad
// text must throw ConfigError; an accepted config must round-trip: to_yaml()
// parses back to the same canonical JSON, and its PE spec can be built.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "gen/config.hpp"

using namespace macforge::gen;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  ArrayConfig c;
  try {
    c = parse_config(text, "fuzz.yaml");
  } catch (const ConfigError&) {
    return 0;
  }
  std::string y = to_yaml(c);
  ArrayConfig back;
  try {
    back = parse_config(y, "roundtrip.yaml");
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "to_yaml output rejected: %s\n--- yaml:\n%s\n", e.what(), y.c_str());
    std::abort();
  }
  if (back.canonical_json() != c.canonical_json()) {
    std::fprintf(stderr, "round trip differs:\n%s\n%s\n", c.canonical_json().c_str(),
                 back.canonical_json().c_str());
    std::abort();
  }
  (void)pe_spec(c);
  return 0;
}
