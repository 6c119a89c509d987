// macforge qsnr: accuracy of a format on random data, or the preset table.
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/output.hpp"
#include "numerics/qsnr_study.hpp"

namespace macforge::cli {
namespace {

const char* kUsage =
    "usage: macforge qsnr --format F [--rule R] [--dist gaussian|laplace|student-t:NU]\n"
    "                     [--outliers P:MAG] [--crest K] [--rotate] [--rotate-block 16|32]\n"
    "                     [--n N] [--seed S]\n"
    "       macforge qsnr --table [--out DIR] [--n N] [--seed S]\n\n"
    "Draws N float32 values (seeded), quantizes them and prints JSON with qsnr_db (FORMATS.md\n"
    "section 6) and crest_mean (mean over blocks of max|x|/std, on the data as drawn).\n"
    "--outliers P:MAG multiplies each value by MAG with probability P; --crest K sets each\n"
    "block's largest element to K times the block's standard deviation; --rotate applies a\n"
    "seeded random Hadamard rotation to blocks before quantizing (undone before measuring).\n"
    "--table measures every preset on Gaussian and on outlier-heavy data (Student-t nu=3 with\n"
    "1% of values x20), with and without rotation, prints a Markdown table and, with --out,\n"
    "writes DIR/qsnr.md and DIR/qsnr.csv.";

std::string json_num(double v) {
  if (!std::isfinite(v)) return "null";
  std::ostringstream s;
  s << std::setprecision(10) << v;
  return s.str();
}

std::string fixed2(double v) {
  if (!std::isfinite(v)) return "inf";
  std::ostringstream s;
  s << std::fixed << std::setprecision(2) << v;
  return s.str();
}

void parse_outliers(const std::string& s, Distribution& d) {
  size_t c = s.find(':');
  try {
    if (c == std::string::npos) throw std::invalid_argument("");
    size_t u1, u2;
    d.outlier_p = std::stod(s.substr(0, c), &u1);
    d.outlier_mag = std::stod(s.substr(c + 1), &u2);
    if (u1 != c || u2 != s.size() - c - 1) throw std::invalid_argument("");
  } catch (const std::exception&) {
    throw UsageError("--outliers '" + s + "': expected P:MAG, e.g. 0.01:20");
  }
  if (d.outlier_p < 0 || d.outlier_p > 1)
    throw UsageError("--outliers '" + s + "': P must be in [0,1]");
}

int run_table(const po::variables_map& vm) {
  struct Data {
    const char* name;
    Distribution dist;
  };
  Distribution gauss;
  Distribution heavy = parse_distribution("student-t:3");
  heavy.outlier_p = 0.01;
  heavy.outlier_mag = 20.0;
  std::vector<Data> data = {{"gaussian", gauss}, {"outliers", heavy}};
  std::ostringstream md, csv;
  md << "| format | rule | gaussian | gaussian+rot | outliers | outliers+rot | crest (outliers) |\n"
        "|---|---|---|---|---|---|---|\n";
  csv << "format,rule,data,rotate,qsnr_db,crest_mean\n";
  for (const std::string& name : block_preset_names()) {
    BlockFormat fmt = parse_block_format(name);
    md << "| " << name << " | " << rule_name(fmt.default_rule);
    double crest = 0;
    for (const Data& d : data)
      for (bool rot : {false, true}) {
        QsnrSetup s;
        s.dist = d.dist;
        s.n = vm["n"].as<size_t>();
        s.seed = vm["seed"].as<uint64_t>();
        s.rotate = rot;
        s.rotate_block = fmt.block == 16 ? 16 : 32;
        QsnrResult r = measure_qsnr(fmt, fmt.default_rule, s);
        md << " | " << fixed2(r.qsnr_db);
        csv << name << "," << rule_name(fmt.default_rule) << "," << d.name << "," << (rot ? 1 : 0)
            << "," << json_num(r.qsnr_db) << "," << json_num(r.crest_mean) << "\n";
        crest = r.crest_mean;
      }
    md << " | " << fixed2(crest) << " |\n";
  }
  std::cout << "QSNR (dB) of every preset, N=" << vm["n"].as<size_t>() << ", seed "
            << vm["seed"].as<uint64_t>() << "\n\n"
            << md.str();
  if (vm.count("out")) {
    std::string dir = vm["out"].as<std::string>();
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw RuntimeError("cannot create directory '" + dir + "': " + ec.message());
    write_file_atomic(dir + "/qsnr.md", "# QSNR per format preset\n\n" + md.str());
    write_file_atomic(dir + "/qsnr.csv", csv.str());
    std::cout << "\nwrote " << dir << "/qsnr.md and " << dir << "/qsnr.csv\n";
  }
  return 0;
}

}  // namespace

int cmd_qsnr(const std::vector<std::string>& args) {
  po::options_description desc("options");
  desc.add_options()("format,f", po::value<std::string>(), "format name")(
      "rule,r", po::value<std::string>(), "scaling rule (default: the format's)")(
      "dist", po::value<std::string>()->default_value("gaussian"), "gaussian | laplace | student-t:NU")(
      "outliers", po::value<std::string>(), "P:MAG, e.g. 0.01:20")(
      "crest", po::value<double>(), "set each block's max to K x std")(
      "rotate", "random Hadamard rotation of blocks before quantizing")(
      "rotate-block", po::value<size_t>(), "rotation block, 16 or 32 (default: 16 for 16-element blocks, else 32)")(
      "n", po::value<size_t>()->default_value(65536), "number of values")(
      "seed", po::value<uint64_t>()->default_value(1), "random seed")(
      "table", "measure every preset (Markdown table)")(
      "out,o", po::value<std::string>(), "with --table: directory for qsnr.md and qsnr.csv");
  po::variables_map vm;
  if (!parse_options("qsnr", kUsage, desc, args, vm)) return 0;
  if (vm["n"].as<size_t>() == 0) throw UsageError("--n must be at least 1");
  if (vm.count("table")) return run_table(vm);
  if (!vm.count("format")) throw UsageError("macforge qsnr: --format is required (or --table)");

  BlockFormat fmt = parse_block_format(vm["format"].as<std::string>());
  Rule rule = vm.count("rule") ? parse_rule(vm["rule"].as<std::string>()) : fmt.default_rule;
  check_rule(fmt, rule);
  QsnrSetup s;
  s.dist = parse_distribution(vm["dist"].as<std::string>());
  if (vm.count("outliers")) parse_outliers(vm["outliers"].as<std::string>(), s.dist);
  if (vm.count("crest")) {
    s.dist.crest = vm["crest"].as<double>();
    if (!(s.dist.crest > 0)) throw UsageError("--crest must be positive");
    // A block of B values has max|x|/std <= sqrt(B-1): larger K cannot be reached.
    double block = fmt.has_block_scale() ? fmt.block : 32, limit = std::sqrt(block - 1.0);
    if (s.dist.crest > limit)
      throw UsageError("--crest " + std::to_string(s.dist.crest) + " is unreachable for blocks of " +
                       std::to_string(int(block)) + " values (valid: 0 < K <= sqrt(B-1) = " +
                       std::to_string(limit) + ")");
  }
  s.n = vm["n"].as<size_t>();
  s.seed = vm["seed"].as<uint64_t>();
  s.rotate = vm.count("rotate") > 0;
  s.rotate_block = vm.count("rotate-block") ? vm["rotate-block"].as<size_t>() : (fmt.block == 16 ? 16 : 32);
  if (s.rotate_block != 16 && s.rotate_block != 32)
    throw UsageError("--rotate-block must be 16 or 32");
  QsnrResult r = measure_qsnr(fmt, rule, s);
  std::cout << "{\"format\": \"" << fmt.name << "\", \"rule\": \"" << rule_name(rule)
            << "\", \"dist\": \"" << vm["dist"].as<std::string>() << "\", \"n\": " << s.n
            << ", \"seed\": " << s.seed << ", \"rotate\": " << (s.rotate ? "true" : "false")
            << ", \"qsnr_db\": " << json_num(r.qsnr_db) << ", \"crest_mean\": "
            << json_num(r.crest_mean) << ", \"crest_mean_quantized\": "
            << json_num(r.crest_mean_quantized) << "}\n";
  return 0;
}

}  // namespace macforge::cli
