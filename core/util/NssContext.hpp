// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <nss.h>

#include <memory>

#include <ikemesh/result.hpp>

#include "util/NssHandles.hpp"

namespace ikemesh {

/// One reference on NSS's initialisation (NSS_InitContext), released on destruction. Contexts
/// nest: NSS stays up while any context lives, so a test, a fuzzer and the daemon can each hold
/// their own. Create it before any other NSS call; destroy it after every NSS handle is gone.
/// Thread-safe to create and destroy (NSS serialises init and shutdown).
class NssContext {
 public:
  /// NSS with no certificate or key database: the internal crypto slot only. Enough for the IKE
  /// crypto suite (tests, fuzzers, benchmarks). The daemon opens its database separately.
  /// Not NSS_INIT_OPTIMIZESPACE: it gives softoken's session-object hash table 32 buckets, and
  /// every IKE and CHILD SA holds NSS key objects, so at 10,000 tunnels each new key walked
  /// chains of a thousand objects (bench/ike_load.sh: handshakes slowed from 150/s to 30/s).
  static Result<std::unique_ptr<NssContext>> initWithoutDatabase() {
    const PRUint32 flags =
        NSS_INIT_READONLY | NSS_INIT_NOCERTDB | NSS_INIT_NOMODDB | NSS_INIT_FORCEOPEN | NSS_INIT_NOROOTINIT;
    NSSInitContext* context = NSS_InitContext("", "", "", "", nullptr, flags);
    if (!context) return fail("NSS initialisation without a database failed: " + nssErrorText());
    return std::unique_ptr<NssContext>(new NssContext(context));
  }

  NssContext(const NssContext&) = delete;
  NssContext& operator=(const NssContext&) = delete;
  ~NssContext() { NSS_ShutdownContext(context_); }

 private:
  explicit NssContext(NSSInitContext* context) : context_(context) {}
  NSSInitContext* context_;
};

}  // namespace ikemesh
