// SPDX-License-Identifier: GPL-2.0-or-later
// IKE load generator: the initiator side of our IKE engine, driving one responder (ikemeshd or
// strongSwan's charon) with many concurrent full handshakes (IKE_SA_INIT + IKE_AUTH with its
// CHILD SA, RFC 7296 §1.2), each from its own source address, and keeping them up. Debian does
// not ship strongSwan's load-tester plugin, so this is the generator of bench/ike_load.sh.
//
// No dataplane: the CHILD SAs are negotiated and "installed" into a dataplane that keeps
// nothing. The engine, its worker pool (key exchange, signatures) and the UDP sockets are
// the daemon's own (IkeEngine, QtHost, IkeSocket), so the generator costs what an ikemeshd
// initiator costs.
//
//   ike_load_generator --responder ADDR --first-source ADDR --count N [--concurrency C]
//                      [--auth null|cert] [--cert NICKNAME] [--cert-count K] [--cert-first I]
//                      [--mode transport|tunnel]
//                      [--ike PROPOSALS] [--esp PROPOSALS] [--timeout SECONDS] [--hold]
//
// Source addresses are --first-source, +1, +2, ... (count of them, IPv4): the caller puts them
// on an interface. Each one opens exactly one IKE SA to the responder (port 500), so that a
// responder sees N distinct peers. With --auth cert the NSS database is $IKEMESH_NSSDIR and
// --cert names our certificate (auth-x509, RSA or ECDSA by the key the certificate holds).
// With --cert-count K the IKE SAs take turns over K certificates, NICKNAME, NICKNAME-2 ...
// NICKNAME-K (bench/make-load-certs.py makes them), so that the responder sees K peers' chains;
// the first IKE SA takes certificate --cert-first (0: NICKNAME).
//
// Prints one machine-readable line, then (with --hold) keeps every SA up, answering the
// responder, until SIGTERM or SIGINT:
//   result established=N failed=F seconds=T rate=R latency_ms_median=M latency_ms_p90=P
//          generator_cpu_percent=G
// (G: the generator's own CPU time over the run, all threads, in percent of one core: near
// the number of cores it may use, the generator, not the responder, set the rate.)
#include <QCoreApplication>
#include <QThreadPool>
#include <QTimer>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "NullAuthPlugin.hpp"
#include "X509AuthPlugin.hpp"
#include "daemon/IkeSocket.hpp"
#include "daemon/QtHost.hpp"
#include "ike/engine/IkeEngine.hpp"
#include "util/Logger.hpp"
#include "util/NssContext.hpp"

namespace {

using namespace ikemesh;
using Clock = std::chrono::steady_clock;

std::atomic<bool> stopRequested{false};

struct Options {
  IpAddress responder;
  IpAddress firstSource;
  long count = 0;
  long concurrency = 16;
  bool certificates = false;
  std::string certificate;
  long certificateCount = 1;
  long certificateFirst = 0;
  IpsecMode mode = IpsecMode::Transport;
  std::string ike = "aes_gcm128-sha2_256;dh19";
  std::string esp = "aes_gcm128";
  long timeoutSeconds = 600;
  bool hold = false;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "ike_load_generator: %s\n"
               "usage: ike_load_generator --responder ADDR --first-source ADDR --count N [--concurrency C]\n"
               "       [--auth null|cert] [--cert NICKNAME] [--cert-count K] [--cert-first I]\n"
               "       [--mode transport|tunnel] [--ike P] [--esp P] [--timeout SECONDS] [--hold]\n",
               why.c_str());
  std::exit(2);
}

Options parseOptions(int argc, char** argv) {
  Options o;
  bool haveResponder = false, haveSource = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(arg + " needs a value");
      return argv[++i];
    };
    auto address = [&](const std::string& text) {
      auto parsed = IpAddress::parse(text);
      if (!parsed || parsed->isV6()) usage(arg + ": '" + text + "' is not an IPv4 address");
      return *parsed;
    };
    if (arg == "--responder") {
      o.responder = address(value());
      haveResponder = true;
    } else if (arg == "--first-source") {
      o.firstSource = address(value());
      haveSource = true;
    } else if (arg == "--count") {
      o.count = std::atol(value().c_str());
    } else if (arg == "--concurrency") {
      o.concurrency = std::atol(value().c_str());
    } else if (arg == "--auth") {
      const auto v = value();
      if (v != "null" && v != "cert") usage("--auth must be null or cert");
      o.certificates = v == "cert";
    } else if (arg == "--cert") {
      o.certificate = value();
    } else if (arg == "--cert-count") {
      o.certificateCount = std::atol(value().c_str());
    } else if (arg == "--cert-first") {
      o.certificateFirst = std::atol(value().c_str());
    } else if (arg == "--mode") {
      const auto v = value();
      if (v != "transport" && v != "tunnel") usage("--mode must be transport or tunnel");
      o.mode = v == "tunnel" ? IpsecMode::Tunnel : IpsecMode::Transport;
    } else if (arg == "--ike") {
      o.ike = value();
    } else if (arg == "--esp") {
      o.esp = value();
    } else if (arg == "--timeout") {
      o.timeoutSeconds = std::atol(value().c_str());
    } else if (arg == "--hold") {
      o.hold = true;
    } else {
      usage("unknown argument '" + arg + "'");
    }
  }
  if (!haveResponder || !haveSource) usage("--responder and --first-source are required");
  if (o.count <= 0 || o.concurrency <= 0) usage("--count and --concurrency must be positive");
  if (o.certificates && o.certificate.empty()) usage("--auth cert needs --cert NICKNAME");
  if (o.certificateCount <= 0 || o.certificateFirst < 0)
    usage("--cert-count must be positive, --cert-first not negative");
  return o;
}

IpAddress offsetAddress(const IpAddress& base, long offset) {
  const auto* b = base.data();
  std::uint32_t value =
      (std::uint32_t{b[0]} << 24 | std::uint32_t{b[1]} << 16 | std::uint32_t{b[2]} << 8 | b[3]) +
      static_cast<std::uint32_t>(offset);
  return IpAddress::v4({static_cast<std::uint8_t>(value >> 24), static_cast<std::uint8_t>(value >> 16),
                        static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)});
}

/// What auth-x509 asks of the configuration: our certificate's nickname, for every
/// connection (each IKE SA has a connection of its own, "load-N", see startNext()); with
/// several certificates, connection N takes certificate first + N modulo their count.
class GeneratorConfig final : public ConfigValues {
 public:
  GeneratorConfig(std::string certificate, long count, long first)
      : certificate_(std::move(certificate)), count_(count), first_(first) {}
  std::optional<std::string> value(std::string_view conn, std::string_view key) const override {
    if (conn.empty() || key != "leftcert" || certificate_.empty()) return std::nullopt;
    constexpr std::string_view kPrefix = "load-";
    if (count_ <= 1 || !conn.starts_with(kPrefix)) return certificate_;
    const long which = (first_ + std::atol(std::string(conn.substr(kPrefix.size())).c_str())) % count_;
    return which == 0 ? certificate_ : certificate_ + "-" + std::to_string(which + 1);
  }

 private:
  std::string certificate_;
  long count_;
  long first_;
};

/// The generator has no dataplane: SPIs are handed out, SAs accepted and forgotten.
class DiscardingDataplane final : public Dataplane {
 public:
  void setEvents(DataplaneEvents*) override {}
  Result<PolicyId> installTrap(const PolicySpec&) override {
    return fail("the load generator has no policies");
  }
  Result<PolicyId> installShunt(const PolicySpec&, ShuntAction) override {
    return fail("the load generator has no policies");
  }
  Result<void> removePolicy(PolicyId) override { return success(); }
  Result<std::uint32_t> allocateSpi(const IpAddress&, const IpAddress&) override { return nextSpi_++; }
  Result<void> addSa(const SaParams&) override { return success(); }
  Result<void> deleteSa(const SaRef&) override { return success(); }
  Result<SaCounters> counters(const SaRef&) override { return SaCounters{}; }

 private:
  std::uint32_t nextSpi_ = 0x10000;
};

class LoadGenerator final : public ike::EngineDelegate, public ike::IkeTransport {
 public:
  LoadGenerator(const Options& options, Host& host)
      : options_(options),
        host_(host),
        socket_(IkeSocket::Options{.ikePort = 500, .natPort = 4500, .mark = 0, .ipv6 = false},
                [this](Datagram&& d) {
                  engine_->receive(d.bytes, {d.from, d.fromPort}, {d.to, d.toPort});
                }) {}

  Result<void> open() {
    if (auto opened = socket_.open(); !opened) return opened;
    if (options_.certificates) {
      try {
        x509_ = std::make_unique<authx509::X509AuthPlugin>(host_);
      } catch (const std::exception& e) {
        return fail(std::string("auth-x509: ") + e.what());
      }
    }
    engine_ = std::make_unique<ike::IkeEngine>(host_, *this, *this);
    return success();
  }

  /// Starts the first `concurrency` handshakes; each completion starts the next.
  void start() {
    started_ = Clock::now();
    cpuAtStart_ = cpuSeconds();
    for (long i = 0; i < options_.concurrency && next_ < options_.count; ++i) startNext();
  }

  bool finished() const { return established_ + failed_ >= options_.count; }

  void report() const {
    const std::chrono::duration<double> seconds = (finishedAt_ ? *finishedAt_ : Clock::now()) - started_;
    std::vector<double> sorted = latenciesMs_;
    std::sort(sorted.begin(), sorted.end());
    auto quantile = [&](double q) {
      return sorted.empty() ? 0.0
                            : sorted[static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1))];
    };
    const double cpuPercent = 100 * (cpuSeconds() - cpuAtStart_) / seconds.count();
    std::printf(
        "result established=%ld failed=%ld seconds=%.3f rate=%.1f latency_ms_median=%.2f latency_ms_p90=%.2f "
        "generator_cpu_percent=%.0f\n",
        established_, failed_, seconds.count(), static_cast<double>(established_) / seconds.count(),
        quantile(0.5), quantile(0.9), cpuPercent);
    std::fflush(stdout);
    if (!firstFailure_.empty()) std::fprintf(stderr, "first failure: %s\n", firstFailure_.c_str());
  }

  // ike::IkeTransport
  void send(const ike::Endpoint& local, const ike::Endpoint& remote,
            std::span<const std::uint8_t> message) override {
    if (auto sent = socket_.send(local.address, local.port, remote.address, remote.port, message); !sent)
      host_.log(LogLevel::Warning, "send to " + remote.toString() + ": " + sent.error().message);
  }

  // ike::EngineDelegate: the initiator side only; a responder's IKE_SA_INIT is refused.
  std::optional<ike::ConnectionView> connectionFor(const ike::Endpoint&, const ike::Endpoint&) override {
    return std::nullopt;
  }
  AuthMethod* authMethod(const ike::ConnectionView&, std::string_view feature) override {
    if (feature == "auth.null") return null_.authMethod(feature);
    return x509_ ? x509_->authMethod(feature) : nullptr;
  }
  Dataplane* dataplane(const ike::ConnectionView&) override { return &dataplane_; }
  void childSaUp(const ike::ChildSaInfo& child) override {
    auto it = inFlight_.find(child.connection);
    if (it == inFlight_.end()) return;  // a rekey, not one of our handshakes
    const std::chrono::duration<double, std::milli> latency = Clock::now() - it->second;
    latenciesMs_.push_back(latency.count());
    inFlight_.erase(it);
    ++established_;
    completeOne();
  }
  void initiationFailed(const std::string& connection, const ike::Endpoint&,
                        const std::string& reason) override {
    failOne(connection, reason);
  }
  void ikeSaDeleted(const ike::IkeSaInfo& sa, const std::string& reason) override {
    failOne(sa.connection, reason);
  }

 private:
  /// Each handshake has a connection of its own: the engine keeps one IKE SA per connection and
  /// peer (IkeEngine::initiate), and every handshake goes to the same responder.
  static double cpuSeconds() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
  }
  void startNext() {
    // Several completions may have posted a start before the last handshake was started.
    if (next_ >= options_.count) return;
    const long index = next_++;
    ike::ConnectionView connection;
    connection.name = "load-" + std::to_string(index);
    connection.localAuth = connection.remoteAuth = options_.certificates ? "auth.rsasig" : "auth.null";
    connection.ikeProposals = options_.ike;
    connection.espProposals = options_.esp;
    connection.mode = options_.mode;
    connection.retransmitTimeout = std::chrono::seconds(30);
    const ike::Endpoint local{offsetAddress(options_.firstSource, index), 500};
    const ike::Endpoint remote{options_.responder, 500};
    inFlight_.emplace(connection.name, Clock::now());
    if (auto initiated = engine_->initiate(connection, local, remote); !initiated)
      failOne(connection.name, initiated.error().message);
  }
  void failOne(const std::string& connection, const std::string& reason) {
    if (inFlight_.erase(connection) == 0) return;
    if (firstFailure_.empty()) firstFailure_ = connection + ": " + reason;
    ++failed_;
    completeOne();
  }
  void completeOne() {
    if (next_ < options_.count) {
      // Not from inside the engine's callback (EngineDelegate: no synchronous re-entry).
      host_.postToMain([this] { startNext(); });
    } else if (finished() && !finishedAt_) {
      finishedAt_ = Clock::now();
    }
  }

  const Options& options_;
  Host& host_;
  IkeSocket socket_;
  authnull::NullAuthPlugin null_{host_};
  std::unique_ptr<authx509::X509AuthPlugin> x509_;
  DiscardingDataplane dataplane_;
  std::unique_ptr<ike::IkeEngine> engine_;
  std::map<std::string, Clock::time_point> inFlight_;
  std::vector<double> latenciesMs_;
  Clock::time_point started_;
  double cpuAtStart_ = 0;
  std::optional<Clock::time_point> finishedAt_;
  long next_ = 0;
  long established_ = 0;
  long failed_ = 0;
  std::string firstFailure_;
};

}  // namespace

int main(int argc, char** argv) {
  const Options options = parseOptions(argc, argv);
  QCoreApplication app(argc, argv);
  auto nss = NssContext::initWithoutDatabase();
  if (!nss) {
    std::fprintf(stderr, "ike_load_generator: %s\n", nss.error().message.c_str());
    return 1;
  }
  Logger logger;
  logger.setLevel(LogLevel::Warning);
  logger.addSink([](LogLevel level, std::string_view tag, std::string_view text) {
    std::fprintf(stderr, "%s\n", Logger::format(level, tag, text).c_str());
  });
  GeneratorConfig config(options.certificate, options.certificateCount, options.certificateFirst);
  QtHost host("load", logger, *QThreadPool::globalInstance(), &config);
  LoadGenerator generator(options, host);
  if (auto opened = generator.open(); !opened) {
    std::fprintf(stderr, "ike_load_generator: %s\n", opened.error().message.c_str());
    return 1;
  }
  std::signal(SIGTERM, [](int) { stopRequested = true; });
  std::signal(SIGINT, [](int) { stopRequested = true; });
  const auto deadline = Clock::now() + std::chrono::seconds(options.timeoutSeconds);
  bool reported = false;
  QTimer poll;
  QObject::connect(&poll, &QTimer::timeout, [&] {
    if (!reported && (generator.finished() || Clock::now() > deadline || stopRequested)) {
      generator.report();
      reported = true;
    }
    if (stopRequested || (reported && !options.hold)) app.quit();
  });
  poll.start(10);
  generator.start();
  app.exec();
  return 0;
}
