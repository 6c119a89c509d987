// Sweep files (docs/sweeps.md): axes whose cross product is the set of design
// points, filters, the stages to run per point, the workloads and QSNR data
// sets, and how the report is normalized. load_sweep() reads and checks a
// file; expand() turns it into numbered points, each with the hash that names
// its result file.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gen/config.hpp"
#include "numerics/elem_format.hpp"
#include "sweep/expr.hpp"

namespace macforge::sweep {

// An error in a sweep file: one line "FILE:LINE:COL: KEY: problem", exit 2.
struct SweepError : FormatError {
  using FormatError::FormatError;
};

// The `pipeline: auto` axis value (docs/sweeps.md): per point, the smallest
// pipeline depth whose timing meets the clock.
constexpr int kPipelineAuto = -1;

// The stages a point can run, in the order they run.
extern const std::vector<std::string> kStages;  // gen, lint, cosim, synth, sim, qsnr

struct FormatChoice {
  std::string label;  // names the point's format in tables ("mxint8", "w4a8")
  std::string a, b;   // operand formats (b == a for a single format); mode 0 of a multi-format PE
  // A multi-format PE (docs/sweeps.md section 11; gen/pe_spec.hpp): one datapath
  // running mode 0 (a x b, 8-bit elements) or mode 1 (a1 x b1, 4- or 6-bit),
  // sharing circuits as `reuse` says (none, int-scheme1, int-scheme2, fp-shared).
  bool multi = false;
  std::string a1, b1, reuse;
};

struct WorkloadSpec {
  std::string name;    // column suffix: cycles_<name>
  std::string layers;  // absolute path of a layers CSV (name,M,N,K[,count]), or ""
  std::string gemm;    // "M,N,K", or ""
  uint64_t layers_hash = 0;
};

struct QsnrData {
  std::string name;  // column qsnr_<name>
  std::string dist = "gaussian";
  double outlier_p = 0, outlier_mag = 1;
  double crest = 0;
  bool rotate = false;
  int rotate_block = 0;  // 0: 16 for 16-element blocks, else 32
  char operand = 'a';    // measure the format of operand a or b
};

// The synthesis settings a point runs with (the sweep's `synth:` section, or
// an ablation column's). They enter the point's hash, except area_scope, which
// only chooses which of the recorded figures a report uses.
struct SynthKnobs {
  bool timing = true;     // false: --no-timing (no static timing, no clock constraint)
  double clock_ns = 0;    // --clock-ns T; 0: the library's default constraint
  bool pe_only = false;   // --pe-only: the PE alone (the paper's per-MAC-unit figures)
  std::string activity = "sim";  // --activity: sim (gate-level simulation) | uniform:A
  std::string multiplier;        // pe.multiplier of the config; "": macforge's default
  std::string area_scope = "all";  // all | combinational (report only: no flip-flops, no clock)
  int pipeline_max = 5;   // pipeline: auto tries 0..pipeline_max (5 = the PE's cut points)
};

// Table 5 ablation (docs/sweeps.md section 10): columns, each the previous
// one with one setting changed. The settings a column fixes per format.
struct AblationColumn {
  std::string name;     // "paper", "multiplier", ...
  std::string changed;  // what this column changes ("" for the first), as spelled
  SynthKnobs knobs;
  std::map<std::string, std::string> lanes;         // format label -> lanes
  std::map<std::string, std::string> accumulation;  // format label -> accumulation
};

struct AblationSpec {
  std::string title;
  std::vector<AblationColumn> columns;  // cumulative: column i = column i-1 + one change
  std::vector<std::string> ratios;      // format labels shown as ratios to the baseline
};

struct CompositeSpec {
  std::string name;
  std::vector<std::pair<std::string, double>> parts;  // format label, units (throughput weight)
  std::string baseline;  // the composite its ratios are against; "": composite_baseline
};

struct ReferenceRow {
  std::string name;                   // a format label or composite name
  std::map<std::string, double> values;  // "area", "energy" (normalized, as published)
};

// A filter: an expression, or a rule matching parameter values (all keys must
// match; a key's value may be a list of alternatives).
struct Filter {
  std::string where;  // "FILE:LINE:COL" of the rule
  bool is_expr = false;
  Expr expr;
  std::map<std::string, std::vector<std::string>> match;
};

struct SweepSpec {
  std::string path;  // absolute path of the file
  std::string dir;   // its directory (relative paths inside are relative to it)
  std::string name, description;
  std::vector<std::string> stages;  // a subset of kStages, in kStages order

  // Axes. Every list has at least one value; spelled values are kept for
  // labels and grouping ("auto", "native").
  std::vector<FormatChoice> formats;
  std::vector<std::pair<int, int>> arrays;  // rows, cols
  std::vector<std::string> lanes;           // "auto" or an integer
  std::vector<std::string> blocks;          // "native" or an integer
  std::vector<std::string> accumulations;
  std::vector<int> pipelines;               // kPipelineAuto: the smallest depth meeting the clock
  std::vector<std::string> dataflows;       // output-stationary | weight-stationary
  std::vector<std::string> liberties;       // "builtin" or an absolute path
  std::vector<std::string> swept;           // axes with more than one value

  std::vector<Filter> where;    // every expression must hold
  std::vector<Filter> exclude;  // a point matching any is dropped
  bool skip_invalid = false;

  std::vector<WorkloadSpec> workloads;
  std::string memory_yaml;  // the `memory:` section, passed to every point's config
  bool sim_timing_only = true, sim_ideal_memory = false;
  std::string cosim_gemm = "8,8,64";
  uint64_t cosim_seed = 1;
  size_t qsnr_n = 65536;
  uint64_t qsnr_seed = 1;
  std::vector<QsnrData> qsnr_data;
  bool synth_energy = true, synth_uniform = false;  // synth: energy (gate-level simulation), uniform stimulus
  int synth_cycles = 2048;
  double synth_clock_ghz = 1.0;
  SynthKnobs synth;  // clock_ns, timing, pe_only, activity, multiplier, area_scope, pipeline_max
  bool has_ablation = false;
  AblationSpec ablation;
  double timeout = 1800;  // seconds per stage

  std::string baseline;  // a format label; default: the first format
  std::vector<CompositeSpec> composites;
  std::string composite_baseline;  // default: the first composite
  std::string pareto_qsnr;         // QSNR data set of the Pareto plot; default: the first
  // A workload name: the Pareto plot's energy is its total energy per
  // inference (energy_total_uj_W: array, buffers, DRAM); empty: energy per MAC.
  std::string pareto_energy;
  std::string reference_title;
  std::string reference_note;  // printed under the comparison table (e.g. why ours differ)
  std::vector<ReferenceRow> reference;
  // The report's "Multi-format PEs" table (docs/sweeps.md section 11): the
  // design the ratios are against (a multi-format label or a composite name;
  // default: the first multi-format point), and published statements per
  // design printed beside ours (label or composite name -> text).
  std::string multi_baseline;
  std::string multi_reference_title, multi_note;
  std::vector<std::pair<std::string, std::string>> multi_reference;

  bool has_stage(const std::string& s) const;
};

// Reads and checks a sweep file. Throws SweepError (also for YAML syntax
// errors, with yaml-cpp's position).
SweepSpec load_sweep(const std::string& path);

// One design point.
struct Point {
  size_t index = 0;
  std::string label;         // "mxint8 8x8" (the format and every swept axis)
  FormatChoice format;
  std::string liberty;       // "builtin" or an absolute path
  gen::ArrayConfig cfg;      // resolved (pipeline 0 when auto: the search starts there)
  bool pipeline_auto = false;
  std::string a1, b1;        // a multi-format PE's mode-1 formats as configured (format.multi)
  int lanes1 = 0;            // its mode-1 lanes (gen::mode_lanes)
  SynthKnobs knobs;          // the synthesis settings (the spec's, or the ablation column's)
  // Resolved parameters (CSV columns, filter names), in column order.
  std::vector<std::pair<std::string, std::string>> params;
  // The axis values as spelled in the sweep file (grouping for normalization).
  std::map<std::string, std::string> axis;
  std::string key;           // canonical JSON of everything the result depends on
  std::string hash;          // 16 hex digits: FNV-1a 64 of key
  std::string param(const std::string& name) const;
};

// Names usable in filters (the parameter names).
const std::vector<std::string>& param_names();

// Tool identity hashed into every point: the macforge version, a hash of the
// executable, and the versions of the external tools the stages run.
std::string tool_version(const SweepSpec& spec, const std::string& exe);

struct Expansion {
  std::vector<Point> points;
  std::vector<std::string> skipped;  // invalid combinations dropped (skip_invalid)
  size_t excluded = 0;               // combinations removed by filters
  std::vector<std::map<std::string, std::string>> column_points;  // ablation: per column, format label -> hash
};
// The points in a fixed order (the axes nested in kStages-independent axis
// order: format outermost). Throws SweepError for an invalid combination
// unless skip_invalid.
Expansion expand(const SweepSpec& spec, const std::string& tool_version);

// The text of the configuration file of a point (generator keys + memory),
// at the given pipeline depth (-1: the point's).
std::string point_config_yaml(const SweepSpec& spec, const Point& p, int pipeline = -1);

// The generator YAML of cfg with pe.multiplier set to `multiplier` ("" leaves
// the generator's own text unchanged).
std::string config_yaml_with_multiplier(const gen::ArrayConfig& cfg, const std::string& multiplier);

}  // namespace macforge::sweep
