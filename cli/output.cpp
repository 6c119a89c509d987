#include "cli/output.hpp"

#include <cstdio>
#include <iostream>
#include <unistd.h>

#include "cli/command.hpp"

namespace macforge::cli {

AtomicOutput::AtomicOutput(const std::string& path) : path_(path) {
  if (path_ == "-") return;
  tmp_ = path_ + ".tmp." + std::to_string(::getpid());
  file_ = std::make_unique<std::ofstream>(tmp_, std::ios::binary | std::ios::trunc);
  if (!file_->good()) throw RuntimeError("cannot write '" + path_ + "': cannot create " + tmp_);
}

AtomicOutput::~AtomicOutput() {
  if (!committed_ && file_) {
    file_.reset();
    std::remove(tmp_.c_str());
  }
}

std::ostream& AtomicOutput::stream() { return file_ ? *file_ : std::cout; }

void AtomicOutput::commit() {
  if (!file_) {
    std::cout.flush();
    committed_ = true;
    return;
  }
  file_->flush();
  bool ok = file_->good();
  file_->close();
  if (!ok || std::rename(tmp_.c_str(), path_.c_str()) != 0) {
    std::remove(tmp_.c_str());
    throw RuntimeError("cannot write '" + path_ + "'");
  }
  committed_ = true;
}

void write_file_atomic(const std::string& path, const std::string& text) {
  AtomicOutput out(path);
  out.stream() << text;
  out.commit();
}

}  // namespace macforge::cli
