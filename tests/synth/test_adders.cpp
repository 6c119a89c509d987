// The adder-architecture decision of `macforge synth --adders auto`
// (synth/adders.hpp, docs/timing.md "Adder architecture") on made-up OpenSTA
// results: the rule is "the least area that meets T, else the better slack".
#include <gtest/gtest.h>

#include "synth/adders.hpp"

namespace macforge::synth {
namespace {

AdderCandidate cand(AdderArch a, double area, double clock_ns, double critical_ns) {
  AdderCandidate c;
  c.arch = a;
  c.area_um2 = area;
  c.timed = true;
  c.critical_path_ns = critical_ns;
  c.slack_ns = clock_ns - critical_ns;
  c.met = c.slack_ns >= 0;
  return c;
}

TEST(Adders, ParseModes) {
  EXPECT_EQ(parse_adder_mode("ripple"), AdderMode::Ripple);
  EXPECT_EQ(parse_adder_mode("prefix"), AdderMode::Prefix);
  EXPECT_EQ(parse_adder_mode("auto"), AdderMode::Auto);
  EXPECT_FALSE(parse_adder_mode("Ripple").has_value());
  EXPECT_FALSE(parse_adder_mode("").has_value());
  EXPECT_FALSE(parse_adder_mode("kogge-stone").has_value());
  EXPECT_STREQ(adder_name(AdderArch::Prefix), "prefix");
  EXPECT_STREQ(adder_mode_name(AdderMode::Auto), "auto");
}

TEST(Adders, RippleThatMeetsTheClockNeedsNoSecondCandidate) {
  EXPECT_FALSE(auto_needs_prefix(cand(AdderArch::Ripple, 100, 5.0, 4.2)));
  EXPECT_FALSE(auto_needs_prefix(cand(AdderArch::Ripple, 100, 5.0, 5.0)));  // slack exactly 0 meets
  EXPECT_TRUE(auto_needs_prefix(cand(AdderArch::Ripple, 100, 1.0, 6.6)));
}

TEST(Adders, WithoutTimingDataAutoIsRipple) {
  AdderCandidate r;
  r.arch = AdderArch::Ripple;
  r.area_um2 = 100;
  r.timed = false;  // a Liberty without delay tables, or --no-timing
  EXPECT_FALSE(auto_needs_prefix(r));
}

TEST(Adders, BothMissTheBetterSlackWinsWhateverTheArea) {
  // the mxint8 case: prefix faster (5.01 vs 6.6 ns) and here also larger
  EXPECT_EQ(auto_pick(cand(AdderArch::Ripple, 6871, 1.0, 6.6), cand(AdderArch::Prefix, 7000, 1.0, 5.01)),
            AdderArch::Prefix);
  // a prefix candidate that came out slower (ABC's mapping is heuristic): ripple stays
  EXPECT_EQ(auto_pick(cand(AdderArch::Ripple, 6871, 1.0, 3.0), cand(AdderArch::Prefix, 6000, 1.0, 3.2)),
            AdderArch::Ripple);
}

TEST(Adders, PrefixThatMeetsBeatsRippleThatMisses) {
  EXPECT_EQ(auto_pick(cand(AdderArch::Ripple, 500, 2.0, 2.4), cand(AdderArch::Prefix, 650, 2.0, 1.7)),
            AdderArch::Prefix);
}

TEST(Adders, EqualSlackKeepsTheSmallerArea) {
  // equal to OpenSTA's printed precision (1e-6 ns): area decides, ripple on a tie
  EXPECT_EQ(auto_pick(cand(AdderArch::Ripple, 500, 1.0, 2.0), cand(AdderArch::Prefix, 450, 1.0, 2.0 + 4e-7)),
            AdderArch::Prefix);
  EXPECT_EQ(auto_pick(cand(AdderArch::Ripple, 500, 1.0, 2.0), cand(AdderArch::Prefix, 550, 1.0, 2.0)),
            AdderArch::Ripple);
  EXPECT_EQ(auto_pick(cand(AdderArch::Ripple, 500, 1.0, 2.0), cand(AdderArch::Prefix, 500, 1.0, 2.0)),
            AdderArch::Ripple);
}

}  // namespace
}  // namespace macforge::synth
