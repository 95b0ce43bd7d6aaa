// SPDX-License-Identifier: GPL-2.0-or-later
#include "DnssecAuthMethod.hpp"

#include <ctime>
#include <fstream>
#include <sstream>

#include "IpsecKeyRecord.hpp"
#include "PublishedKeyCheck.hpp"
#include "ResolverTransport.hpp"
#include "SignatureScheme.hpp"

namespace ikemesh::authdnssec {

namespace {
constexpr const char* kDefaultResolver = "127.0.0.1";
}  // namespace

Result<std::shared_ptr<const LookupSettings>> lookupSettingsFrom(const Host& host) {
  auto settings = std::make_shared<LookupSettings>();
  if (auto enable = host.configValue("", "dnssec-enable")) settings->enabled = *enable != "no";
  const std::string resolver = host.configValue("", "dnssec-resolver").value_or(kDefaultResolver);
  auto address = IpAddress::parse(resolver);
  if (!address) return fail("dnssec-resolver=" + resolver + ": not an IPv4 or IPv6 address");
  settings->resolver = *address;
  if (auto port = host.configValue("", "dnssec-resolver-port")) {
    const long value = std::strtol(port->c_str(), nullptr, 10);
    if (value <= 0 || value > 65535) return fail("dnssec-resolver-port=" + *port + ": not a port (1-65535)");
    settings->port = static_cast<std::uint16_t>(value);
  }
  if (!settings->enabled) return std::shared_ptr<const LookupSettings>(std::move(settings));
  auto anchors = host.configValue("", "dnssec-anchors");
  if (!anchors || anchors->empty())
    return fail(
        "config setup has no dnssec-anchors=: keys from DNS are validated from a trust anchor "
        "(a file of DS or DNSKEY records), and none is configured");
  std::ifstream file(*anchors);
  if (!file) return fail("dnssec-anchors=" + *anchors + ": cannot read the file");
  std::stringstream text;
  text << file.rdbuf();
  auto parsed = parseTrustAnchors(text.str(), *anchors);
  if (!parsed) return parsed.error();
  settings->anchorsSource = *anchors;
  settings->anchors = std::shared_ptr<const ldns_rr_list>(parsed->release(), LdnsRrListDeepFree{});
  return std::shared_ptr<const LookupSettings>(std::move(settings));
}

Validation lookupIpsecKey(const LookupSettings& settings, const std::string& name) {
  auto transport = ResolverTransport::create(settings.resolver, settings.port, settings.timeout);
  if (!transport) {
    Validation v;
    v.verdict = Verdict::Unreachable;
    v.reason = transport.error().message;
    return v;
  }
  // Each worker gets its own copy: ldns objects are not shared between threads.
  LdnsRrList anchors(ldns_rr_list_clone(settings.anchors.get()));
  DnssecValidator validator(**transport, anchors.get(), std::time(nullptr));
  return validator.lookup(name, LDNS_RR_TYPE_IPSECKEY);
}

Result<std::string> publishedName(const Identity& id, const IpAddress& peerAddress) {
  switch (id.type) {
    case IdType::Ipv4Address:
    case IdType::Ipv6Address: {
      // The key of an address is published for its reverse name: the ID must be the address the
      // peer talks from, or anyone could claim another node's name.
      if (id.data.size() != peerAddress.size() ||
          !std::equal(id.data.begin(), id.data.end(), peerAddress.data()))
        return fail("ID mismatch: the peer's ID '" + displayIdentity(id) + "' is not its address " +
                    peerAddress.toString());
      return reverseName(id.data);
    }
    case IdType::Fqdn: {
      std::string name(id.data.begin(), id.data.end());
      if (name.empty()) return fail("ID mismatch: the peer's FQDN ID is empty");
      if (name.back() != '.') name += '.';
      return name;
    }
    default:
      return fail("ID mismatch: the peer's ID has type " + std::to_string(static_cast<int>(id.type)) +
                  "; IPSECKEY records are looked up for an address or an FQDN ID");
  }
}

DnssecAuthMethod::DnssecAuthMethod(Host& host, std::shared_ptr<authx509::NssDatabase> database)
    : host_(host), database_(std::move(database)), cache_(host) {}

void DnssecAuthMethod::fetch(const std::string& name, std::shared_ptr<const LookupSettings> settings,
                             IpsecKeyCache::Callback done) {
  cache_.fetch(
      name, [settings = std::move(settings), name] { return lookupIpsecKey(*settings, name); },
      std::move(done));
}

Result<LocalCredential> DnssecAuthMethod::localCredential(const std::string& connection) {
  auto settings = lookupSettingsFrom(host_);
  if (!settings) return settings.error();
  if (!(*settings)->enabled)
    return fail("conn '" + connection +
                "': keys from DNS (%dnsondemand) need DNSSEC, but config setup has dnssec-enable=no");
  if (auto key = database_->privateKey(kHostKeyNickname); !key) return key.error();
  LocalCredential credential;
  const auto leftid = host_.configValue(connection, "leftid");
  if (!leftid || leftid->empty() || *leftid == "%myid" || *leftid == "%fromcert") {
    credential.id.type = IdType::Ipv4Address;  // the engine fills in the SA's own address
  } else if (leftid->front() == '@') {
    credential.id.type = IdType::Fqdn;
    credential.id.data.assign(leftid->begin() + 1, leftid->end());
  } else if (auto address = IpAddress::parse(*leftid)) {
    credential.id.type = address->isV4() ? IdType::Ipv4Address : IdType::Ipv6Address;
    credential.id.data.assign(address->data(), address->data() + address->size());
  } else {
    return fail("conn '" + connection + "': leftid=" + *leftid +
                " cannot name a key in DNS: use @fqdn, an address, or leave it out (our address)");
  }
  return credential;
}

void DnssecAuthMethod::sign(const AuthExchange& exchange, std::function<void(Result<AuthPayload>)> done) {
  auto key = database_->privateKey(kHostKeyNickname);
  if (!key) {
    done(key.error());
    return;
  }
  auto sharedKey = std::make_shared<UniquePrivateKey>(std::move(*key));
  Host* host = &host_;
  host_.submitWork([host, database = database_, sharedKey, octets = exchange.signedOctets,
                    done = std::move(done)]() mutable {
    auto signature = authx509::signAuthOctets(sharedKey->get(), authx509::RsaScheme::Pss, octets);
    sharedKey.reset();
    host->postToMain(
        [signature = std::move(signature), done = std::move(done)]() mutable { done(std::move(signature)); });
    (void)database;  // kept alive until the key is gone
  });
}

void DnssecAuthMethod::exchangeStarting(const std::string& connection, const IpAddress& localAddress,
                                        const IpAddress& peerAddress) {
  (void)connection;
  (void)localAddress;
  auto settings = lookupSettingsFrom(host_);
  if (!settings || !(*settings)->enabled) return;  // verify() says why
  // Most peers of a mesh are known by address; an FQDN ID is only known at IKE_AUTH.
  const std::string name = reverseName({peerAddress.data(), peerAddress.size()});
  const auto before = cache_.lookupsStarted();
  fetch(name, std::move(*settings), {});
  if (cache_.lookupsStarted() != before)
    host_.log(LogLevel::Info, "IPSECKEY " + name + ": lookup started beside IKE_SA_INIT");
}

void DnssecAuthMethod::verify(const AuthExchange& exchange, const PeerClaim& claim,
                              std::function<void(Result<VerifiedPeer>)> done) {
  auto settings = lookupSettingsFrom(host_);
  if (!settings) {
    done(settings.error());
    return;
  }
  if (!(*settings)->enabled) {
    done(fail("conn '" + exchange.connection +
              "': rightrsasigkey=%dnsondemand needs DNSSEC, but config setup has dnssec-enable=no"));
    return;
  }
  auto name = publishedName(claim.id, exchange.peerAddress);
  if (!name) {
    done(name.error());
    return;
  }
  Host* host = &host_;
  fetch(*name, std::move(*settings),
        [host, name = *name, claim, octets = exchange.signedOctets,
         done = std::move(done)](const Validation& answer) mutable {
          if (!answer.secure()) {
            // The verdict first, then the link of the chain that failed (which names the record).
            const std::string line = std::string(verdictName(answer.verdict)) + ": refused " + answer.reason;
            host->log(LogLevel::Warning, line);
            done(fail(line));
            return;
          }
          host->log(LogLevel::Info, "IPSECKEY " + name + ": " + std::to_string(answer.rdatas.size()) +
                                        " secure record(s) (" + answer.reason + ")");
          host->submitWork([host, name, claim = std::move(claim), octets = std::move(octets),
                            rdatas = answer.rdatas, done = std::move(done)]() mutable {
            auto checked = verifyWithPublishedKeys(rdatas, claim.auth, octets, name);
            Result<VerifiedPeer> verified =
                checked ? Result<VerifiedPeer>(VerifiedPeer{displayIdentity(claim.id)})
                        : Result<VerifiedPeer>(checked.error());
            host->postToMain([verified = std::move(verified), done = std::move(done)]() mutable {
              done(std::move(verified));
            });
          });
        });
}

}  // namespace ikemesh::authdnssec
