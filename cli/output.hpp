// Writing results safely: a file is written to a temporary name beside it and
// renamed into place only when complete, so a failure never leaves a
// half-written output. "-" means standard output.
#pragma once

#include <fstream>
#include <memory>
#include <ostream>
#include <string>

namespace macforge::cli {

class AtomicOutput {
 public:
  explicit AtomicOutput(const std::string& path);  // throws RuntimeError
  ~AtomicOutput();                                  // removes the temp file unless committed
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;
  std::ostream& stream();
  void commit();  // flush, close and rename into place; throws RuntimeError

 private:
  std::string path_, tmp_;
  std::unique_ptr<std::ofstream> file_;
  bool committed_ = false;
};

// Writes text to path atomically ("-" = stdout).
void write_file_atomic(const std::string& path, const std::string& text);

}  // namespace macforge::cli
