// SPDX-License-Identifier: GPL-2.0-or-later
#include "ike/engine/ProposalSelector.hpp"

#include <algorithm>
#include <cctype>

namespace ikemesh::ike {

namespace {

constexpr std::uint16_t kNoEsn = 0;  // RFC 7296 §3.3.2 Transform Type 5, "No Extended Sequence Numbers"

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    auto end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

/// A transform the peer offered, by its IANA name (RFC 7296 §3.3.2 and the IKEv2 registry),
/// so that a refusal says what was offered: "3DES", "HMAC-SHA1-96", "MODP-1024".
std::string offeredTransformName(const Transform& transform) {
  const auto id = transform.id;
  switch (transform.type) {
    case TransformType::Encryption: {
      std::string text = encrName(id);
      if (auto bits = transform.keyLength()) text += "_" + std::to_string(*bits);
      return text;
    }
    case TransformType::PseudoRandomFunction: return prfName(id);
    case TransformType::Integrity: return integName(id);
    case TransformType::KeyExchange: return dhName(id);
    case TransformType::ExtendedSequenceNumbers: return id == kNoEsn ? "NO-ESN" : "ESN";
  }
  return "TRANSFORM#" + std::to_string(id);
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<std::vector<EncryptionTransform>> parseEncryption(const std::string& name) {
  auto withBits = [](EncrAlgorithm algorithm,
                     std::string_view digits) -> std::optional<std::vector<EncryptionTransform>> {
    // Libreswan: a bare "aes" / "aes_gcm" means both 256 and 128 bits, strongest first.
    if (digits.empty()) return std::vector<EncryptionTransform>{{algorithm, 256}, {algorithm, 128}};
    if (digits == "128") return std::vector<EncryptionTransform>{{algorithm, 128}};
    if (digits == "192") return std::vector<EncryptionTransform>{{algorithm, 192}};
    if (digits == "256") return std::vector<EncryptionTransform>{{algorithm, 256}};
    return std::nullopt;
  };
  std::string_view n = name;
  for (std::string_view prefix : {"aes_gcm_16_", "aes_gcm16_", "aes_gcm_c_", "aes_gcm_c", "aes_gcm_16",
                                  "aes_gcm16", "aes_gcm_", "aes_gcm"})
    if (n.starts_with(prefix)) return withBits(EncrAlgorithm::AesGcm16, n.substr(prefix.size()));
  for (std::string_view prefix : {"aes_cbc_", "aes_cbc", "aes_", "aes"})
    if (n.starts_with(prefix)) return withBits(EncrAlgorithm::AesCbc, n.substr(prefix.size()));
  return std::nullopt;
}

enum class Hash { Sha256, Sha384, Sha512 };

std::optional<Hash> parseHash(const std::string& name) {
  if (name == "sha2" || name == "sha2_256" || name == "sha256" || name == "sha2-256") return Hash::Sha256;
  if (name == "sha2_384" || name == "sha384") return Hash::Sha384;
  if (name == "sha2_512" || name == "sha512") return Hash::Sha512;
  return std::nullopt;
}

std::optional<DhGroup> parseGroup(const std::string& name) {
  if (name == "modp2048" || name == "dh14") return DhGroup::Modp2048;
  if (name == "ecp256" || name == "dh19" || name == "ecp_256") return DhGroup::Ecp256;
  if (name == "ecp384" || name == "dh20" || name == "ecp_384") return DhGroup::Ecp384;
  if (name == "curve25519" || name == "dh31" || name == "x25519") return DhGroup::Curve25519;
  return std::nullopt;
}

IntegAlgorithm integOf(Hash hash) {
  switch (hash) {
    case Hash::Sha256: return IntegAlgorithm::HmacSha2_256_128;
    case Hash::Sha384: return IntegAlgorithm::HmacSha2_384_192;
    case Hash::Sha512: return IntegAlgorithm::HmacSha2_512_256;
  }
  return IntegAlgorithm::HmacSha2_256_128;
}

PrfAlgorithm prfOf(Hash hash) {
  switch (hash) {
    case Hash::Sha256: return PrfAlgorithm::HmacSha2_256;
    case Hash::Sha384: return PrfAlgorithm::HmacSha2_384;
    case Hash::Sha512: return PrfAlgorithm::HmacSha2_512;
  }
  return PrfAlgorithm::HmacSha2_256;
}

Result<ProposalSpec> parseOne(std::string_view text, bool forEsp) {
  const std::string whole = lower(text);
  auto semicolon = split(whole, ';');
  if (semicolon.size() > 2) return fail("proposal '" + whole + "': more than one ';'");
  auto tokens = split(semicolon[0], '-');
  if (semicolon.size() == 2) tokens.push_back(semicolon[1]);

  ProposalSpec spec;
  std::vector<std::vector<Hash>> hashGroups;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].empty()) return fail("proposal '" + whole + "': empty algorithm");
    std::vector<Hash> hashes;
    for (auto alternative : split(tokens[i], '+')) {
      const std::string name(alternative);
      if (i == 0) {
        auto encryption = parseEncryption(name);
        if (!encryption) return fail("proposal '" + whole + "': unknown encryption algorithm '" + name + "'");
        spec.encryption.insert(spec.encryption.end(), encryption->begin(), encryption->end());
      } else if (auto group = parseGroup(name)) {
        spec.groups.push_back(*group);
      } else if (auto hash = parseHash(name)) {
        hashes.push_back(*hash);
      } else if (forEsp && (name == "none" || name == "null")) {
        continue;  // "esp=aes_gcm256-null": the explicit "no integrity" of AEAD
      } else {
        return fail("proposal '" + whole + "': unknown algorithm '" + name + "'");
      }
    }
    if (!hashes.empty()) hashGroups.push_back(std::move(hashes));
  }
  if (spec.encryption.empty()) return fail("proposal '" + whole + "': no encryption algorithm");
  const bool aead = isAead(spec.encryption.front().algorithm);
  for (const auto& e : spec.encryption)
    if (isAead(e.algorithm) != aead)
      return fail("proposal '" + whole + "': AEAD and non-AEAD ciphers cannot share a proposal");

  if (forEsp) {
    // ESP: the hash is the integrity algorithm; AEAD takes none (RFC 4106 §3).
    if (hashGroups.size() > 1)
      return fail("proposal '" + whole + "': ESP takes one integrity algorithm list");
    if (!aead) {
      if (hashGroups.empty()) return fail("proposal '" + whole + "': AES-CBC needs an integrity algorithm");
      for (auto hash : hashGroups[0]) spec.integrity.push_back(integOf(hash));
    } else if (!hashGroups.empty()) {
      return fail("proposal '" + whole + "': an AEAD cipher takes no integrity algorithm");
    }
    return spec;
  }
  // IKE: AEAD takes ENCR-PRF; CBC takes ENCR-INTEG[-PRF], the PRF defaulting to the integrity hash.
  if (hashGroups.empty()) {
    hashGroups.push_back({Hash::Sha512, Hash::Sha384, Hash::Sha256});
  }
  if (aead) {
    if (hashGroups.size() > 1) return fail("proposal '" + whole + "': an AEAD cipher takes only a PRF");
    for (auto hash : hashGroups[0]) spec.prf.push_back(prfOf(hash));
  } else {
    if (hashGroups.size() > 2) return fail("proposal '" + whole + "': too many hash algorithms");
    for (auto hash : hashGroups[0]) spec.integrity.push_back(integOf(hash));
    for (auto hash : hashGroups.back()) spec.prf.push_back(prfOf(hash));
  }
  if (spec.groups.empty())
    spec.groups = {DhGroup::Curve25519, DhGroup::Ecp256, DhGroup::Ecp384, DhGroup::Modp2048};
  return spec;
}

bool sameEncryption(const Transform& t, const EncryptionTransform& e) {
  return t.id == static_cast<std::uint16_t>(e.algorithm) && t.keyLength() == e.keyBits;
}

template <typename Alg>
std::uint16_t idOf(Alg a) {
  return static_cast<std::uint16_t>(a);
}

}  // namespace

std::string NegotiatedAlgorithms::describe(bool withPrf) const {
  std::string text = transformName(encryption);
  if (integrity != IntegAlgorithm::None) text += " " + transformName(integrity);
  if (withPrf) text += " " + transformName(prf);
  if (group) text += " " + transformName(*group);
  return text;
}

Result<std::vector<ProposalSpec>> parseProposals(std::string_view text, bool forEsp) {
  std::vector<ProposalSpec> specs;
  if (text.empty()) {
    // RFC 8247 §2-§3 (IKE) and RFC 8221 §5 (ESP): AES-GCM first, AES-CBC with HMAC-SHA2 next.
    const std::vector<DhGroup> groups = {DhGroup::Curve25519, DhGroup::Ecp256, DhGroup::Ecp384,
                                         DhGroup::Modp2048};
    const std::vector<PrfAlgorithm> prfs = {PrfAlgorithm::HmacSha2_512, PrfAlgorithm::HmacSha2_384,
                                            PrfAlgorithm::HmacSha2_256};
    const std::vector<IntegAlgorithm> integs = {
        IntegAlgorithm::HmacSha2_512_256, IntegAlgorithm::HmacSha2_384_192, IntegAlgorithm::HmacSha2_256_128};
    ProposalSpec gcm{{{EncrAlgorithm::AesGcm16, 256}, {EncrAlgorithm::AesGcm16, 128}}, {}, {}, {}};
    ProposalSpec cbc{{{EncrAlgorithm::AesCbc, 256}, {EncrAlgorithm::AesCbc, 128}}, integs, {}, {}};
    if (!forEsp) {
      gcm.prf = cbc.prf = prfs;
      gcm.groups = cbc.groups = groups;
    }
    return std::vector<ProposalSpec>{gcm, cbc};
  }
  for (auto part : split(text, ',')) {
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    auto spec = parseOne(part, forEsp);
    if (!spec) return std::move(spec).error();
    specs.push_back(std::move(*spec));
  }
  return specs;
}

std::vector<Proposal> toWireProposals(const std::vector<ProposalSpec>& specs, ProtocolId protocol,
                                      const Bytes& spi, bool withGroups,
                                      std::optional<DhGroup> fallbackGroup) {
  std::vector<Proposal> proposals;
  std::uint8_t number = 1;
  for (const auto& spec : specs) {
    Proposal proposal{number++, protocol, spi, {}};
    for (const auto& e : spec.encryption)
      proposal.transforms.push_back(
          {TransformType::Encryption, idOf(e.algorithm), {TransformAttribute::keyLength(e.keyBits)}});
    if (protocol == ProtocolId::Ike)
      for (auto p : spec.prf)
        proposal.transforms.push_back({TransformType::PseudoRandomFunction, idOf(p), {}});
    for (auto i : spec.integrity) proposal.transforms.push_back({TransformType::Integrity, idOf(i), {}});
    if (withGroups) {
      auto groups = spec.groups;
      if (groups.empty() && fallbackGroup) groups.push_back(*fallbackGroup);
      for (auto g : groups) proposal.transforms.push_back({TransformType::KeyExchange, idOf(g), {}});
    }
    if (protocol == ProtocolId::Esp)
      proposal.transforms.push_back({TransformType::ExtendedSequenceNumbers, kNoEsn, {}});
    proposals.push_back(std::move(proposal));
  }
  return proposals;
}

Result<Selection> selectProposal(const std::vector<ProposalSpec>& ours,
                                 const SecurityAssociationPayload& offered, ProtocolId protocol,
                                 std::optional<std::uint16_t> keGroup, bool ignoreGroups) {
  std::string refusals;  // each proposal and why, for the log line of a refusal
  for (const auto& proposal : offered.proposals) {
    if (proposal.protocol != protocol) {
      refusals += (refusals.empty() ? "" : "; ") + std::string("proposal ") +
                  std::to_string(proposal.number) + ": wrong protocol";
      continue;
    }
    for (const auto& spec : ours) {
      Selection selection;
      auto& chosen = selection.algorithms;
      chosen.proposalNumber = proposal.number;
      chosen.spi = proposal.spi;
      bool haveEncryption = false, haveIntegrity = false, havePrf = false, sawIntegrity = false,
           sawPrf = false;
      bool sawGroup = false, ok = true;
      std::vector<DhGroup> acceptableGroups;
      for (const auto& t : proposal.transforms) {
        switch (t.type) {
          case TransformType::Encryption:
            if (!haveEncryption)
              for (const auto& e : spec.encryption)
                if (sameEncryption(t, e)) {
                  chosen.encryption = e;
                  haveEncryption = true;
                  break;
                }
            break;
          case TransformType::Integrity:
            sawIntegrity = true;
            if (!haveIntegrity)
              for (auto i : spec.integrity)
                if (t.id == idOf(i)) {
                  chosen.integrity = i;
                  haveIntegrity = true;
                  break;
                }
            if (t.id == 0 && spec.integrity.empty()) haveIntegrity = true;  // explicit "none"
            break;
          case TransformType::PseudoRandomFunction:
            sawPrf = true;
            if (!havePrf)
              for (auto p : spec.prf)
                if (t.id == idOf(p)) {
                  chosen.prf = p;
                  havePrf = true;
                  break;
                }
            break;
          case TransformType::KeyExchange:
            if (ignoreGroups) break;
            sawGroup = true;
            for (auto g : spec.groups)
              if (t.id == idOf(g)) acceptableGroups.push_back(g);
            break;
          case TransformType::ExtendedSequenceNumbers: break;  // checked below
          default: ok = false;                                 // a transform type we cannot choose from
        }
      }
      if (protocol == ProtocolId::Esp) {
        bool esnOffered = false, noEsnOffered = false;
        for (const auto& t : proposal.transforms)
          if (t.type == TransformType::ExtendedSequenceNumbers) {
            esnOffered = true;
            noEsnOffered = noEsnOffered || t.id == kNoEsn;
          }
        if (esnOffered && !noEsnOffered) ok = false;  // we do not do ESN
      }
      if (!ok || !haveEncryption) continue;
      if (sawIntegrity != haveIntegrity || (!sawIntegrity && !spec.integrity.empty())) continue;
      if (protocol == ProtocolId::Ike && (!sawPrf || !havePrf)) continue;
      const bool needGroup = protocol == ProtocolId::Ike || (keGroup.has_value() && !ignoreGroups);
      if (needGroup || sawGroup) {
        if (acceptableGroups.empty()) {
          if (needGroup || !spec.groups.empty()) continue;
        } else {
          auto wanted = std::find_if(acceptableGroups.begin(), acceptableGroups.end(),
                                     [&](DhGroup g) { return keGroup && idOf(g) == *keGroup; });
          if (wanted != acceptableGroups.end()) {
            chosen.group = *wanted;
          } else {
            chosen.group = acceptableGroups.front();
            selection.wantedGroup = acceptableGroups.front();
          }
        }
      }
      return selection;
    }
    std::string offered;
    for (const auto& t : proposal.transforms)
      offered += (offered.empty() ? "" : ", ") + offeredTransformName(t);
    refusals += (refusals.empty() ? "" : "; ") + std::string("proposal ") + std::to_string(proposal.number) +
                " (" + offered + ") matches none of ours";
  }
  return fail(refusals.empty() ? "no proposal offered" : refusals);
}

Result<NegotiatedAlgorithms> acceptedProposal(const std::vector<Proposal>& sent,
                                              const SecurityAssociationPayload& answer, ProtocolId protocol) {
  if (answer.proposals.size() != 1)
    return fail("SA: the answer holds " + std::to_string(answer.proposals.size()) + " proposals, not 1");
  const auto& got = answer.proposals.front();
  if (got.protocol != protocol) return fail("SA: the answer is for another protocol");
  auto offered =
      std::find_if(sent.begin(), sent.end(), [&](const Proposal& p) { return p.number == got.number; });
  if (offered == sent.end())
    return fail("SA: the answer names proposal " + std::to_string(got.number) + ", not sent");
  NegotiatedAlgorithms chosen;
  chosen.proposalNumber = got.number;
  chosen.spi = got.spi;
  int counts[6] = {};
  for (const auto& t : got.transforms) {
    if (std::find(offered->transforms.begin(), offered->transforms.end(), t) == offered->transforms.end())
      return fail("SA: transform type " + std::to_string(static_cast<int>(t.type)) + " id " +
                  std::to_string(t.id) + " was not offered in proposal " + std::to_string(got.number));
    auto type = static_cast<std::size_t>(t.type);
    if (type < 6 && ++counts[type] > 1)
      return fail("SA: the answer holds two transforms of type " + std::to_string(type));
    switch (t.type) {
      case TransformType::Encryption:
        chosen.encryption = {static_cast<EncrAlgorithm>(t.id), t.keyLength().value_or(0)};
        break;
      case TransformType::Integrity: chosen.integrity = static_cast<IntegAlgorithm>(t.id); break;
      case TransformType::PseudoRandomFunction: chosen.prf = static_cast<PrfAlgorithm>(t.id); break;
      case TransformType::KeyExchange:
        if (t.id != 0) chosen.group = static_cast<DhGroup>(t.id);
        break;
      default: break;
    }
  }
  if (!counts[static_cast<int>(TransformType::Encryption)])
    return fail("SA: the answer has no encryption transform");
  if (protocol == ProtocolId::Ike && !counts[static_cast<int>(TransformType::PseudoRandomFunction)])
    return fail("SA: the answer has no PRF");
  if (protocol == ProtocolId::Ike && !chosen.group) return fail("SA: the answer has no key exchange group");
  if (auto valid = validateTransforms(chosen.encryption, chosen.integrity); !valid)
    return fail("SA: " + valid.error().message);
  return chosen;
}

Proposal answerProposal(const NegotiatedAlgorithms& chosen, ProtocolId protocol, const Bytes& ourSpi) {
  Proposal proposal{chosen.proposalNumber, protocol, ourSpi, {}};
  proposal.transforms.push_back({TransformType::Encryption,
                                 idOf(chosen.encryption.algorithm),
                                 {TransformAttribute::keyLength(chosen.encryption.keyBits)}});
  if (protocol == ProtocolId::Ike)
    proposal.transforms.push_back({TransformType::PseudoRandomFunction, idOf(chosen.prf), {}});
  if (chosen.integrity != IntegAlgorithm::None)
    proposal.transforms.push_back({TransformType::Integrity, idOf(chosen.integrity), {}});
  if (chosen.group) proposal.transforms.push_back({TransformType::KeyExchange, idOf(*chosen.group), {}});
  if (protocol == ProtocolId::Esp)
    proposal.transforms.push_back({TransformType::ExtendedSequenceNumbers, kNoEsn, {}});
  return proposal;
}

}  // namespace ikemesh::ike
