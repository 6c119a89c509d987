// Left shifts of signed integers that may be negative.
//
// Before C++20, `x << n` with x < 0 is undefined behaviour (UBSan reports it),
// although every compiler we use computes the two's-complement result. These
// helpers shift the unsigned image, which is defined, and convert back (modular,
// exactly what the signed shift would give when it does not overflow).
#pragma once

#include <cstdint>

namespace macforge {

inline __int128 shl(__int128 x, int n) {
  return static_cast<__int128>(static_cast<unsigned __int128>(x) << n);
}

inline std::int64_t shl(std::int64_t x, int n) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(x) << n);
}

}  // namespace macforge
