// SPDX-License-Identifier: GPL-2.0-or-later
#include "HostKeyCommands.hpp"

#include <keyhi.h>
#include <nss.h>
#include <pk11pub.h>
#include <secoid.h>

#include <iostream>

#include <ikemesh/net.hpp>
#include <ikemesh/result.hpp>

#include "NssCommands.hpp"
#include "PublicKeyRecord.hpp"
#include "util/NssHandles.hpp"

namespace ikemesh::cli {

namespace {

using authdnssec::kHostKeyNickname;

struct Options {
  std::string nssdir = kDefaultNssDirectory;
  std::string keyType = "rsa";
  int bits = 3072;
  bool ipseckey = false;
  int precedence = 10;
  std::vector<std::string> owners;  ///< from --name and --address, in the order given
};

int usageError(const std::string& verb, const std::string& message) {
  std::cerr << "ikemesh " << verb << ": " << message << "\n" << hostKeyCommandsUsage();
  return 2;
}

int failure(const std::string& verb, const std::string& message) {
  std::cerr << "ikemesh " << verb << ": " << message << "\n";
  return 1;
}

Result<Options> parse(const std::vector<std::string>& args, bool show) {
  Options options;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const auto value = [&](const std::string& name) -> std::optional<std::string> {
      if (arg == name && i + 1 < args.size()) return args[++i];
      if (arg.rfind(name + "=", 0) == 0) return arg.substr(name.size() + 1);
      return std::nullopt;
    };
    if (auto v = value("--nssdir")) {
      options.nssdir = *v;
    } else if (!show && (v = value("--keytype"))) {
      if (*v != "rsa" && *v != "ecdsa") return fail("--keytype " + *v + ": expected rsa or ecdsa");
      options.keyType = *v;
    } else if (!show && (v = value("--bits"))) {
      options.bits = std::atoi(v->c_str());
      if (options.bits < 2048 || options.bits > 8192) return fail("--bits " + *v + ": expected 2048 to 8192");
    } else if (show && arg == "--ipseckey") {
      options.ipseckey = true;
    } else if (show && (v = value("--precedence"))) {
      options.precedence = std::atoi(v->c_str());
      if (options.precedence < 0 || options.precedence > 255 || v->empty())
        return fail("--precedence " + *v + ": expected 0 to 255");
    } else if (show && (v = value("--name"))) {
      std::string name = v->front() == '@' ? v->substr(1) : *v;
      if (name.empty()) return fail("--name: empty");
      options.owners.push_back(name.back() == '.' ? name : name + ".");
    } else if (show && (v = value("--address"))) {
      auto address = IpAddress::parse(*v);
      if (!address) return fail("--address " + *v + ": not an IPv4 or IPv6 address");
      options.owners.push_back(authdnssec::reverseName({address->data(), address->size()}));
    } else {
      return fail("unknown or incomplete option '" + arg + "'");
    }
  }
  return options;
}

/// NSS on `nssdir` for this process (the CLI holds no other NSS state).
Result<void> openDatabase(const std::string& nssdir, bool readOnly) {
  const std::string dir = nssdir.rfind("sql:", 0) == 0 ? nssdir : "sql:" + nssdir;
  const SECStatus status = readOnly ? NSS_Init(dir.c_str()) : NSS_InitReadWrite(dir.c_str());
  if (status != SECSuccess)
    return fail("cannot open the NSS database " + dir + ": " + nssErrorText() +
                " (create it with `ikemesh initnss`)");
  return success();
}

Result<UniquePrivateKey> findHostKey(PK11SlotInfo* slot) {
  UniquePrivateKey found = findPrivateKey(slot, kHostKeyNickname);
  if (!found)
    return fail("no host key '" + std::string(kHostKeyNickname) + "' (make one with `ikemesh newhostkey`)");
  return found;
}

int newHostKey(const std::vector<std::string>& args) {
  auto options = parse(args, false);
  if (!options) return usageError("newhostkey", options.error().message);
  if (auto opened = openDatabase(options->nssdir, false); !opened)
    return failure("newhostkey", opened.error().message);
  UniqueSlot slot(PK11_GetInternalKeySlot());
  if (PK11_NeedLogin(slot.get()) && PK11_Authenticate(slot.get(), PR_TRUE, nullptr) != SECSuccess)
    return failure("newhostkey", "the NSS database has a password: " + nssErrorText());
  if (findHostKey(slot.get()))
    return failure("newhostkey", "the database holds a host key '" + std::string(kHostKeyNickname) +
                                     "' already (its records: ikemesh showhostkey --ipseckey)");
  SECKEYPublicKey* publicKey = nullptr;
  SECKEYPrivateKey* privateKey = nullptr;
  if (options->keyType == "rsa") {
    PK11RSAGenParams params{options->bits, 65537};
    privateKey = PK11_GenerateKeyPair(slot.get(), CKM_RSA_PKCS_KEY_PAIR_GEN, &params, &publicKey, PR_TRUE,
                                      PR_TRUE, nullptr);
  } else {
    // The curve as an EC parameters OID (RFC 5480 §2.1.1): P-256, the curve RFC 6605 publishes.
    const SECOidData* curve = SECOID_FindOIDByTag(SEC_OID_ANSIX962_EC_PRIME256V1);
    std::vector<unsigned char> der{0x06, static_cast<unsigned char>(curve->oid.len)};
    der.insert(der.end(), curve->oid.data, curve->oid.data + curve->oid.len);
    SECItem params{siBuffer, der.data(), static_cast<unsigned>(der.size())};
    privateKey =
        PK11_GenerateKeyPair(slot.get(), CKM_EC_KEY_PAIR_GEN, &params, &publicKey, PR_TRUE, PR_TRUE, nullptr);
  }
  UniquePrivateKey ownedPrivate(privateKey);
  UniquePublicKey ownedPublic(publicKey);
  if (!ownedPrivate) return failure("newhostkey", "key generation: " + nssErrorText());
  if (PK11_SetPrivateKeyNickname(ownedPrivate.get(), kHostKeyNickname) != SECSuccess)
    return failure("newhostkey", "naming the key: " + nssErrorText());
  std::cout << "made host key '" << kHostKeyNickname << "' ("
            << (options->keyType == "rsa" ? "RSA " + std::to_string(options->bits) + " bits" : "ECDSA P-256")
            << ") in " << options->nssdir << "; publish it: ikemesh showhostkey --ipseckey --address IP\n";
  ownedPrivate.reset();
  ownedPublic.reset();
  slot.reset();
  NSS_Shutdown();
  return 0;
}

int showHostKey(const std::vector<std::string>& args) {
  auto options = parse(args, true);
  if (!options) return usageError("showhostkey", options.error().message);
  if (!options->ipseckey) return usageError("showhostkey", "say which form: --ipseckey");
  if (auto opened = openDatabase(options->nssdir, true); !opened)
    return failure("showhostkey", opened.error().message);
  int status = 0;
  {
    UniqueSlot slot(PK11_GetInternalKeySlot());
    auto privateKey = findHostKey(slot.get());
    if (!privateKey) {
      status = failure("showhostkey", privateKey.error().message + " in " + options->nssdir);
    } else {
      UniquePublicKey publicKey(SECKEY_ConvertToPublicKey(privateKey->get()));
      auto record = publicKey ? authdnssec::ipsecKeyRecordOf(publicKey.get(),
                                                             static_cast<std::uint8_t>(options->precedence))
                              : Result<authdnssec::IpsecKeyRecord>(fail("no public key: " + nssErrorText()));
      if (!record) {
        status = failure("showhostkey", record.error().message);
      } else {
        // RFC 4025 §3.1 presentation; without names, the record as Libreswan prints it.
        std::cout << "; the IPSECKEY record of host key '" << kHostKeyNickname
                  << "': publish it in the DNSSEC-signed forward (FQDN ID) and reverse (address ID) zones\n";
        if (options->owners.empty()) options->owners.push_back("");
        for (const auto& owner : options->owners)
          std::cout << owner << "\tIN\tIPSECKEY\t" << authdnssec::presentationOf(*record) << "\n";
      }
    }
  }
  NSS_Shutdown();
  return status;
}

}  // namespace

std::string hostKeyCommandsUsage() {
  return "  newhostkey [--nssdir DIR] [--keytype rsa|ecdsa] [--bits N]: make the node's raw host key\n"
         "             (RSA 3072 bits by default; ECDSA is P-256) for keys published in DNS\n"
         "  showhostkey --ipseckey [--nssdir DIR] [--address IP]... [--name FQDN]... [--precedence N]:\n"
         "             the IPSECKEY records to publish: reverse names of the addresses, forward names\n";
}

std::optional<int> runHostKeyCommand(const std::vector<std::string>& arguments) {
  if (arguments.empty()) return std::nullopt;
  if (arguments[0] == "newhostkey") return newHostKey(arguments);
  if (arguments[0] == "showhostkey") return showHostKey(arguments);
  return std::nullopt;
}

}  // namespace ikemesh::cli
