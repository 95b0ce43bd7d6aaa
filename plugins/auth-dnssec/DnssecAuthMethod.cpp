// SPDX-License-Identifier: GPL-2.0-or-later
#include "DnssecAuthMethod.hpp"

#include <ctime>

#include "IpsecKeyRecord.hpp"
#include "PublishedKeyCheck.hpp"
#include "ResolverTransport.hpp"
#include "SignatureScheme.hpp"

namespace ikemesh::authdnssec {

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

DnssecAuthMethod::DnssecAuthMethod(Host& host, std::shared_ptr<authx509::NssDatabase> database,
                                   std::shared_ptr<const LookupSettings> settings)
    : host_(host),
      database_(std::move(database)),
      settings_(std::move(settings)),
      cache_(host,
             [settings = settings_](const std::string& name) { return lookupIpsecKey(*settings, name); }) {}

Result<LocalCredential> DnssecAuthMethod::localCredential(const std::string& connection) {
  if (!settings_->enabled)
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
  if (!settings_->enabled) return;
  // Most peers of a mesh are known by address; an FQDN ID is only known at IKE_AUTH.
  cache_.fetch(reverseName({peerAddress.data(), peerAddress.size()}), {});
}

void DnssecAuthMethod::verify(const AuthExchange& exchange, const PeerClaim& claim,
                              std::function<void(Result<VerifiedPeer>)> done) {
  if (!settings_->enabled) {
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
  cache_.fetch(*name, [host, name = *name, claim, octets = exchange.signedOctets,
                       done = std::move(done)](const Validation& answer) mutable {
    if (!answer.secure()) {
      const std::string line =
          std::string(verdictName(answer.verdict)) + ": IPSECKEY " + name + " refused: " + answer.reason;
      host->log(LogLevel::Warning, line);
      done(fail(line));
      return;
    }
    host->log(LogLevel::Info, "IPSECKEY " + name + ": " + std::to_string(answer.rdatas.size()) +
                                  " secure record(s) (" + answer.reason + ")");
    host->submitWork([host, name, claim = std::move(claim), octets = std::move(octets),
                      rdatas = answer.rdatas, done = std::move(done)]() mutable {
      auto checked = verifyWithPublishedKeys(rdatas, claim.auth, octets, name);
      Result<VerifiedPeer> verified = checked ? Result<VerifiedPeer>(VerifiedPeer{displayIdentity(claim.id)})
                                              : Result<VerifiedPeer>(checked.error());
      host->postToMain(
          [verified = std::move(verified), done = std::move(done)]() mutable { done(std::move(verified)); });
    });
  });
}

}  // namespace ikemesh::authdnssec
