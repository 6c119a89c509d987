#include "gen/generate.hpp"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>

#include "gen/manifest.hpp"
#include "gen/pe_emit.hpp"

namespace macforge::gen {

namespace fs = std::filesystem;

namespace {

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  out.close();
  if (!out) throw GenerateError("cannot write '" + p.string() + "'");
}

// A temporary directory beside the target (same file system, so the final
// rename is atomic); removed with its contents unless released.
class TempDir {
 public:
  explicit TempDir(const fs::path& target) {
    auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    path_ = target.parent_path() /
            ("." + target.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(stamp));
    std::error_code ec;
    if (!fs::create_directory(path_, ec))
      throw GenerateError("cannot create '" + path_.string() + "': " + ec.message());
  }
  ~TempDir() {
    std::error_code ec;
    if (!released_) fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  void release() { released_ = true; }

 private:
  fs::path path_;
  bool released_ = false;
};

// Creates the missing parents of `target`; removes them again on failure.
class Parents {
 public:
  explicit Parents(const fs::path& target) {
    fs::path p = target.parent_path();
    std::vector<fs::path> missing;
    for (; !p.empty() && !fs::exists(p); p = p.parent_path()) missing.push_back(p);
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
      std::error_code ec;
      if (!fs::create_directory(*it, ec))
        throw GenerateError("cannot create '" + it->string() + "': " + ec.message());
      created_.push_back(*it);
    }
  }
  ~Parents() {
    if (keep_) return;
    std::error_code ec;
    for (auto it = created_.rbegin(); it != created_.rend(); ++it) fs::remove(*it, ec);  // only if empty
  }
  Parents(const Parents&) = delete;
  Parents& operator=(const Parents&) = delete;
  void keep() { keep_ = true; }

 private:
  std::vector<fs::path> created_;
  bool keep_ = false;
};

// Checks the policy of generate.hpp before any work is done.
void check_target(const fs::path& target) {
  if (!fs::exists(target)) return;
  if (!fs::is_directory(target)) throw GenerateError("'" + target.string() + "' exists and is not a directory");
  if (fs::is_empty(target) || fs::exists(target / "manifest.json")) return;
  throw GenerateError("'" + target.string() +
                      "' is a non-empty directory without a macforge manifest.json; refusing to overwrite it");
}

// Moves the finished temporary directory into place, replacing a previous output.
void install(TempDir& tmp, const fs::path& target) {
  std::error_code ec;
  fs::path old;
  if (fs::exists(target)) {
    old = tmp.path().string() + ".old";
    fs::rename(target, old, ec);
    if (ec) throw GenerateError("cannot move the old '" + target.string() + "' aside: " + ec.message());
  }
  fs::rename(tmp.path(), target, ec);
  if (ec) {
    std::error_code ec2;
    if (!old.empty()) fs::rename(old, target, ec2);
    throw GenerateError("cannot rename '" + tmp.path().string() + "' to '" + target.string() + "': " + ec.message());
  }
  tmp.release();
  if (!old.empty()) fs::remove_all(old, ec);
}

}  // namespace

GenerateResult generate(const ArrayConfig& cfg, const std::string& out_dir, const std::string& generator) {
  fs::path target = fs::absolute(fs::path(out_dir)).lexically_normal();
  if (target.filename().empty()) target = target.parent_path();
  check_target(target);
  Parents parents(target);
  TempDir tmp(target);

  PeSpec spec = pe_spec(cfg);

  // The PE: its modules (one file each, in compile order) and the primitives
  // it instantiates.
  GenerateResult r;
  r.pe = pe_info(spec);
  std::vector<PeFile> pe_modules = pe_files(spec);
  std::vector<std::string> prim_paths = pe_primitive_files(spec);

  // The array and top; the output stage's float32 multiplier only with
  // tensor/channel scales.
  Fp32Mul mul;
  mul.module = "mf_fp32_mul";
  ArrayDesign design = emit_array(cfg, r.pe, mul);
  if (design.mul_count > 0)
    for (const std::string& p : fp32_mul_primitive_files()) prim_paths.push_back(p);

  // Compile order: primitives (each once), the PE's modules, the array, the top.
  std::vector<std::string> primitives;
  std::set<std::string> seen;
  for (const std::string& p : prim_paths) {
    std::string f = fs::path(p).filename().string();
    if (!seen.insert(f).second) continue;
    std::error_code ec;
    fs::copy_file(p, tmp.path() / f, ec);
    if (ec) throw GenerateError("cannot copy primitive '" + p + "': " + ec.message());
    r.files.push_back(f);
    primitives.push_back(fs::path(p).stem().string());  // mf_* primitives: one module per file
  }
  for (const PeFile& f : pe_modules) {
    write_text(tmp.path() / f.name, f.text);
    r.files.push_back(f.name);
  }
  for (const ArrayDesign::File& f : design.files) {
    write_text(tmp.path() / f.name, f.text);
    r.files.push_back(f.name);
  }
  std::string flist;
  for (const std::string& f : r.files) flist += f + "\n";
  write_text(tmp.path() / "files.f", flist);

  ManifestInput mi;
  mi.generator = generator;
  mi.cfg = &cfg;
  mi.pe = &r.pe;
  mi.design = &design;
  mi.files = r.files;
  mi.primitives = primitives;
  write_text(tmp.path() / "manifest.json", manifest_json(mi));
  write_text(tmp.path() / "config.yaml", to_yaml(cfg));

  install(tmp, target);
  parents.keep();
  r.dir = target.string();
  r.top = design.top;
  r.timing = design.timing;
  return r;
}

}  // namespace macforge::gen
