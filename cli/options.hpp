// Option parsing shared by the subcommands: Boost.Program_options with one-line
// errors (UsageError), and --help printing the subcommand's own help text.
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <vector>

namespace macforge::cli {

namespace po = boost::program_options;

// Parses args against desc (and positional names, if any). Returns false if
// --help was given (help already printed to stdout). Throws UsageError.
bool parse_options(const std::string& command, const std::string& usage,
                   po::options_description& desc, const std::vector<std::string>& args,
                   po::variables_map& vm,
                   const po::positional_options_description* positional = nullptr);

}  // namespace macforge::cli
