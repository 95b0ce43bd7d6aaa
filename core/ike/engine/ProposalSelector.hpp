// SPDX-License-Identifier: GPL-2.0-or-later
// Our algorithm proposals: parsed from Libreswan's `ike=` / `esp=` strings, turned into SA
// payload proposals, and matched against what a peer offers (RFC 7296 §2.7, §3.3).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <ikemesh/result.hpp>

#include "ike/crypto/Transforms.hpp"
#include "ike/message/Payload.hpp"

namespace ikemesh::ike {

/// One local proposal: every algorithm of each transform type we accept together.
struct ProposalSpec {
  std::vector<EncryptionTransform> encryption;
  std::vector<IntegAlgorithm> integrity;  ///< empty with AEAD ciphers (RFC 5282 §8)
  std::vector<PrfAlgorithm> prf;          ///< IKE only
  std::vector<DhGroup> groups;            ///< IKE: required; ESP: the PFS groups (may be empty)
};

/// One algorithm of each type, as agreed for one SA.
struct NegotiatedAlgorithms {
  EncryptionTransform encryption;
  IntegAlgorithm integrity = IntegAlgorithm::None;
  PrfAlgorithm prf = PrfAlgorithm::HmacSha2_256;  ///< IKE only
  std::optional<DhGroup> group;
  std::uint8_t proposalNumber = 1;
  Bytes spi;  ///< the peer's SPI from its proposal (ESP: 4 octets; IKE rekey: 8)

  /// "AES-GCM-16_256 HMAC-SHA2-512 Curve25519" for status lines.
  std::string describe(bool withPrf) const;
};

/// The outcome of matching a peer's offer.
struct Selection {
  NegotiatedAlgorithms algorithms;
  /// Set when the chosen proposal needs a key exchange group other than the one in the KE
  /// payload: answer INVALID_KE_PAYLOAD with it (RFC 7296 §1.2).
  std::optional<DhGroup> wantedGroup;
};

/// Parses Libreswan's `ike=` (`forEsp` false) or `esp=` syntax: comma-separated proposals,
/// each `ENCR[-INTEG][-PRF][-DH]` or `ENCR-HASH;DH`, alternatives joined with `+`
/// (`aes_gcm256-sha2_512;dh19`, `aes256-sha2_256-modp2048`). An empty string gives the
/// defaults of RFC 8247 (IKE) and RFC 8221 (ESP), Curve25519 first.
Result<std::vector<ProposalSpec>> parseProposals(std::string_view text, bool forEsp);

/// The SA payload proposals for `specs`, numbered from 1. `spi` goes into every proposal (empty
/// in IKE_SA_INIT). ESP proposals carry "no ESN"; `withGroups` false leaves out the key
/// exchange transforms (IKE_AUTH, RFC 7296 §1.2), and for ESP `fallbackGroup` is offered
/// when a spec names no PFS group.
std::vector<Proposal> toWireProposals(const std::vector<ProposalSpec>& specs, ProtocolId protocol,
                                      const Bytes& spi, bool withGroups,
                                      std::optional<DhGroup> fallbackGroup = std::nullopt);

/// Responder side: chooses one of the peer's proposals that one of ours accepts, taking the
/// peer's order (RFC 7296 §2.7). `keGroup` is the group of the KE payload, if any: it is chosen
/// when acceptable. `requireGroup` is true for IKE and for CREATE_CHILD_SA with a KE payload.
/// The error says why nothing matched.
Result<Selection> selectProposal(const std::vector<ProposalSpec>& ours,
                                 const SecurityAssociationPayload& offered, ProtocolId protocol,
                                 std::optional<std::uint16_t> keGroup, bool ignoreGroups);

/// Initiator side: checks that the responder's answer is exactly one of the proposals we sent,
/// with one transform of each type it contained (RFC 7296 §3.3.6), and reads it.
Result<NegotiatedAlgorithms> acceptedProposal(const std::vector<Proposal>& sent,
                                              const SecurityAssociationPayload& answer, ProtocolId protocol);

/// The SA payload proposal that states a selection (the responder's answer).
Proposal answerProposal(const NegotiatedAlgorithms& chosen, ProtocolId protocol, const Bytes& ourSpi);

}  // namespace ikemesh::ike
