// Which part of the PE every cell belongs to (docs/synthesis.md "Parts").
//
// The flow flattens the PE, optimizes it coarsely, then moves the cells of
// each part into a submodule (Yosys `submod`) before technology mapping, so
// Yosys and ABC map each part on its own and the netlist says where every
// gate came from. A cell's part comes from its `src` attribute: after
// `flatten`, the first entry of `src` is the line of the PE top module it
// came from (the instantiation line for the lane multipliers, the LZC and
// the float32 adder), and the generated PE is divided into sections by its
// comments (written by the part emitters of gen/pe/, docs/pe.md):
// "Lane multipliers", "Alignment", "Adder tree",
// "Group accumulator", "Group value ... block scales", "Normalization",
// "Float32 accumulate". Flip-flops of every section go to "registers".
#pragma once

#include <string>
#include <vector>

namespace macforge::synth {

// Part names, in report order.
// mode_select only in multi-format PEs (the mux of the two modes' group values).
extern const std::vector<std::string> kParts;  // multipliers, align_norm, adder_tree, scale, accumulator, mode_select, registers, other
std::string part_title(const std::string& part);  // "alignment and normalization", ...

// Prefix of the submodule instances (`submod` values) that hold a part.
constexpr const char* kPartPrefix = "mfp_";
// The part of a cell from the first component of its instance path ("other"
// for cells at the top level or in unknown instances).
std::string part_of_instance(const std::string& first_instance);

struct SourceSection {
  int first = 0, last = 0;  // 1-based line range, inclusive
  std::string part;
};

// Sections of the PE top module source (the text of <pe>.v). Lines before
// the first known section belong to "other". Throws InputError when no
// known section comment is found (the emitter changed its layout).
std::vector<SourceSection> pe_sections(const std::string& pe_top_text, const std::string& file_name);

// Sections of a multi-format PE's file (gen/pe/modes.hpp): the stage modules
// <P>_h0/_h1/_b0/_b1 and the top <P>, each with the single-format section
// comments, plus "// Mode select" (part mode_select). Every `module` line
// restarts at "other"; the instance statements of the file's own modules (in
// the top) get the empty part "" (transparent: a flattened cell takes the part
// of the line it was written on, see partition_commands' any_entry).
std::vector<SourceSection> mode_pe_sections(const std::string& pe_file_text, const std::string& file_name);

// Yosys glob patterns matching the decimal numbers lo..hi (patmatch knows
// `*`, `?` and `[...]` lists, no ranges), e.g. 23..33 -> 2[3456789], 3[0123].
std::vector<std::string> number_globs(int lo, int hi);

// Yosys commands that set the `submod` attribute of the cells of `top` by
// part (src lines of `src_file` as Yosys names it) and move them into
// submodules, flip-flops into the registers part. Run after flatten and
// coarse optimization, before alumacc (so multipliers and the adder tree do
// not merge into one $macc).
// any_entry (multi-format PEs): match a line of src_file in any entry of the
// `src` attribute, not only the first (after flatten a cell of a stage module
// carries its own line and its instance's line; the latter is transparent).
std::vector<std::string> partition_commands(const std::string& top, const std::string& src_file,
                                            const std::vector<SourceSection>& sections, bool any_entry = false);

// The array level (PE instances are black boxes): flip-flops -> registers,
// the float32 output-stage multipliers (mf_fp32_mul) -> scale, the rest other.
// `parts` (e.g. "NAME_p_"): the generator's part modules (grid cells,
// register stages), kept as modules so that each is mapped once however
// many instances the array has; their flip-flops are registers too. The
// keep_hierarchy commands go before coarse_commands' flatten.
std::vector<std::string> keep_parts_commands(const std::string& top, const std::string& parts);
std::vector<std::string> glue_partition_commands(const std::string& top, const std::string& parts);

// The coarse passes run before partitioning (the first half of `synth -run
// begin:fine`, up to but not including alumacc).
std::vector<std::string> coarse_commands(const std::string& top);

}  // namespace macforge::synth
