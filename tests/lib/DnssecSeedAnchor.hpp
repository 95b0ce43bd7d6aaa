// SPDX-License-Identifier: GPL-2.0-or-later
// The trust anchor of the DNS answers in tests/fuzz/corpus/dnssec_answer: the key-signing key
// of mesh.test. (as DNSKEY and as DS) with which ldns-signzone signed the zone that nsd served
// for them, once with NSEC and once with NSEC3, signatures valid 2020-01-01 to 2038-01-01 (ldns 1.8 compares
// RRSIG times as signed 32-bit numbers: it refuses a signature that expires after 2038-01-19). Each seed is a
// target octet (1) and the answers to the validator's questions, each behind a two-octet length: IPSECKEY
// n.mesh.test. (or x. / m. for NXDOMAIN / NODATA), then DNSKEY.
#pragma once

namespace ikemesh::testkit {

inline constexpr const char* kDnssecSeedAnchors =
    "mesh.test. IN DNSKEY 257 3 13 "
    "pRdboJ8xA9lteSo+uDMrH/pYvg7ZFtqAUKRqYGPHFs8aDSH2d0geDZwyq0NP0p9bktEqNW9Q4rrj2fNZYo42CA==\n"
    "mesh.test. IN DS 19279 13 2 a06c1cd59e2787f4b27b25c58c4a84f4910688a3e54fd4e4d6e23547734454d2\n";

/// A time inside the seeds' validity (2027-01-15).
inline constexpr long kDnssecSeedTime = 1'800'000'000;

}  // namespace ikemesh::testkit
