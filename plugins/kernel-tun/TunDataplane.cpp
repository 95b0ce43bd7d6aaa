// SPDX-License-Identifier: GPL-2.0-or-later
#include "TunDataplane.hpp"

#include <malloc.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "GroCoalescer.hpp"
#include "GsoSegmenter.hpp"
#include "InternetChecksum.hpp"
#include "PacketHeaders.hpp"
#include "VirtioNetHeader.hpp"

namespace ikemesh::tun {

namespace {

/// How long an AES-GCM SA carries no packet before it gives its NSS context back (EspSa::
/// releaseIdleContext(): about 8 KB per SA; the next packet makes it again in microseconds).
constexpr std::chrono::seconds kIdleContextRelease{10};
/// Contexts freed in one sweep above which the heap is trimmed: they are small blocks spread
/// over the heap, which glibc otherwise keeps resident.
constexpr std::size_t kTrimAfterReleases = 64;

constexpr std::size_t kBatch = 32;
// Transmit slots: enough for two 64 KiB super-packets cut at a 1400-octet MTU.
constexpr std::size_t kTransmitSlots = 128;
// Reads stop while fewer slots are free than a super-packet at that MTU needs (64 KiB / 1360).
constexpr std::size_t kSlotsPerRead = 48;
constexpr std::size_t kMaxSuperPacket = 65536;
// UDP GSO: at most 64 datagrams per send (the kernel's UDP_MAX_SEGMENTS) and 65507 octets of
// UDP payload in all (the IPv4 total length less the IP and UDP headers).
constexpr std::size_t kMaxUdpSegments = 64;
constexpr std::size_t kMaxUdpPayload = 65507;
// Decrypted packets held for coalescing between writes to the TUN device.
constexpr std::size_t kCoalescedPackets = 2048;
constexpr std::size_t kRelocationArea = 1 << 20;
// Room before a packet read from the TUN device for SPI | sequence | IV (at most 8 + 16), so
// that it is encrypted where it lies.
constexpr std::size_t kTransmitHeadroom = 32;
// Room before a received ESP packet for the IP header transport mode restores (at most 40
// octets, written just before the payload that starts 16 or 24 octets in).
constexpr std::size_t kReceiveHeadroom = 64;
// ESP trailer and ICV room after the largest packet: padding 15 + 2 + ICV 32.
constexpr std::size_t kTrailerRoom = 64;
constexpr std::uint8_t kNextHeaderIpv4 = 4;
constexpr std::uint8_t kNextHeaderIpv6 = 41;

std::string hexSpi(std::uint32_t spi) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%08x", spi);
  return text;
}

/// The prefix a selector's address range is exactly, if it is one.
std::optional<IpPrefix> prefixOf(const TrafficSelector& selector) {
  if (selector.start.family() != selector.end.family()) return std::nullopt;
  for (int length = selector.start.bits(); length >= 0; --length) {
    IpPrefix prefix(selector.start, length);
    if (prefix.address() != selector.start) return std::nullopt;
    // The last address of the prefix: the start with every host bit set.
    IpAddress last = selector.start;
    for (int i = length; i < last.bits(); ++i)
      last.data()[i / 8] |= static_cast<std::uint8_t>(0x80u >> (i % 8));
    if (last == selector.end) return prefix;
    if (last > selector.end) return std::nullopt;
  }
  return std::nullopt;
}

bool inSelectors(const std::vector<TrafficSelector>& selectors, const IpAddress& address) {
  if (selectors.empty()) return true;
  return std::any_of(selectors.begin(), selectors.end(), [&](const TrafficSelector& s) {
    return s.start.family() == address.family() && !(address < s.start) && !(s.end < address);
  });
}

void toSockaddr(const IpAddress& address, std::uint16_t port, int socketFamily, sockaddr_storage& out,
                socklen_t& length) {
  std::memset(&out, 0, sizeof out);
  if (socketFamily == AF_INET && address.isV4()) {
    auto* in = reinterpret_cast<sockaddr_in*>(&out);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    std::memcpy(&in->sin_addr, address.data(), 4);
    length = sizeof(sockaddr_in);
    return;
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&out);
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(port);
  if (address.isV4()) {  // a dual-stack socket reaches IPv4 peers through mapped addresses
    in6->sin6_addr.s6_addr[10] = 0xff;
    in6->sin6_addr.s6_addr[11] = 0xff;
    std::memcpy(in6->sin6_addr.s6_addr + 12, address.data(), 4);
  } else {
    std::memcpy(in6->sin6_addr.s6_addr, address.data(), 16);
  }
  length = sizeof(sockaddr_in6);
}

std::optional<std::pair<IpAddress, std::uint16_t>> fromSockaddr(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&address);
    std::array<std::uint8_t, 4> octets;
    std::memcpy(octets.data(), &in->sin_addr, 4);
    return std::pair{IpAddress::v4(octets), ntohs(in->sin_port)};
  }
  if (address.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      std::array<std::uint8_t, 4> octets;
      std::memcpy(octets.data(), in6->sin6_addr.s6_addr + 12, 4);
      return std::pair{IpAddress::v4(octets), ntohs(in6->sin6_port)};
    }
    std::array<std::uint8_t, 16> octets;
    std::memcpy(octets.data(), in6->sin6_addr.s6_addr, 16);
    return std::pair{IpAddress::v6(octets), ntohs(in6->sin6_port)};
  }
  return std::nullopt;
}

Result<UniqueFd> openRawSocket(int family, std::uint32_t mark) {
  UniqueFd fd(::socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW));
  if (!fd)
    return fail(std::string("kernel-tun: cannot open the raw ") + (family == AF_INET ? "IPv4" : "IPv6") +
                " socket for pass shunts: " + std::strerror(errno));
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_MARK, &mark, sizeof mark) < 0)
    return fail(std::string("kernel-tun: cannot mark the raw socket: ") + std::strerror(errno));
  return fd;
}

}  // namespace

std::size_t TunDataplane::AddressHash::operator()(const IpAddress& a) const noexcept {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (std::size_t i = 0; i < a.size(); ++i) h = (h ^ a.data()[i]) * 1099511628211ull;
  return static_cast<std::size_t>(h);
}

Result<std::unique_ptr<TunDataplane>> TunDataplane::create(Host& host, const TunOptions& options) {
  auto routing = RoutingTable::open(options.routing);
  if (!routing) return std::move(routing).error();
  // A previous instance that crashed left its rules and routes (its TUN device went with it,
  // unless someone made it persistent): remove them before installing ours.
  if (auto stale = (*routing)->removeStale(options.device); !stale) return std::move(stale).error();
  auto tun = TunDevice::create(options.device, options.mtu, options.offloads);
  if (!tun) return std::move(tun).error();
  if (auto rules = (*routing)->installRules(); !rules) {
    (void)(*routing)->removeAll();
    return std::move(rules).error();
  }
  UniqueFd wake(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake) return fail(std::string("kernel-tun: cannot create an eventfd: ") + std::strerror(errno));
  auto rawV4 = openRawSocket(AF_INET, options.routing.fwmark);
  auto rawV6 = openRawSocket(AF_INET6, options.routing.fwmark);
  if (!rawV4 || !rawV6) {
    (void)(*routing)->removeAll();
    return rawV4 ? std::move(rawV6).error() : std::move(rawV4).error();
  }
  return std::unique_ptr<TunDataplane>(new TunDataplane(host, options, std::move(*tun), std::move(*routing),
                                                        std::move(wake), std::move(*rawV4),
                                                        std::move(*rawV6)));
}

TunDataplane::TunDataplane(Host& host, const TunOptions& options, TunDevice tun,
                           std::unique_ptr<RoutingTable> routing, UniqueFd wake, UniqueFd rawV4,
                           UniqueFd rawV6)
    : host_(host),
      options_(options),
      tun_(std::move(tun)),
      routing_(std::move(routing)),
      wake_(std::move(wake)),
      rawV4_(std::move(rawV4)),
      rawV6_(std::move(rawV6)),
      relay_(std::make_shared<EventRelay>(EventRelay{this, nullptr})) {
  warnAboutStrictReversePathFilter();
  lifetimeTimer_ = host_.startTimer(std::chrono::seconds(1), true, [this] { checkLifetimes(); });
  transmitter_ = std::thread([this] { transmitLoop(); });
  host_.log(LogLevel::Info, "TUN device " + tun_.name() + " (MTU " + std::to_string(tun_.mtu()) +
                                ", offloads " + tun_.describeOffloads() + "), table " +
                                std::to_string(options_.routing.table) + ", rule priority " +
                                std::to_string(options_.routing.priority) + ", fwmark " +
                                std::to_string(options_.routing.fwmark));
}

void TunDataplane::warnAboutStrictReversePathFilter() {
  // Opportunistic peers are routed into the TUN device, so the kernel's strict reverse-path
  // check (RFC 3704 "strict" mode) finds the wrong interface for everything a peer sends
  // outside ESP in UDP and IKE, ARP requests included. Loose mode (2) is Debian's default.
  std::ifstream file("/proc/sys/net/ipv4/conf/all/rp_filter");
  int mode = 0;
  if (file >> mode && mode == 1)
    host_.log(
        LogLevel::Warning,
        "kernel-tun: net.ipv4.conf.all.rp_filter is 1 (strict): ARP requests from peers whose addresses are "
        "routed into " +
            tun_.name() + " are dropped; set it to 2 (loose)");
}

TunDataplane::~TunDataplane() {
  stop_.store(true);
  wakeTransmitter();
  if (transmitter_.joinable()) transmitter_.join();
  if (receiver_.joinable()) receiver_.join();
  relay_.reset();  // work already posted to the main thread finds nobody
  host_.stopTimer(lifetimeTimer_);
  if (auto removed = routing_->removeAll(); !removed) host_.log(LogLevel::Error, removed.error().message);
  // The TUN device disappears when tun_ closes its descriptor.
}

void TunDataplane::setEvents(DataplaneEvents* events) {
  relay_->events = events;
}

void TunDataplane::post(std::function<void(TunDataplane&, DataplaneEvents&)> work) {
  host_.postToMain([relay = std::weak_ptr<EventRelay>(relay_), work = std::move(work)] {
    auto alive = relay.lock();
    if (alive && alive->events) work(*alive->self, *alive->events);
  });
}

void TunDataplane::reportWorkerFailure(const char* what, int error) {
  // Logged at once from this thread; reported to the core once per kind of failure.
  std::string message = std::string("kernel-tun: ") + what + " failed: " + std::strerror(error);
  host_.log(LogLevel::Error, message);
  {
    std::lock_guard lock(heldMutex_);
    if (!reportedFailures_.insert(message).second) return;
  }
  post([message](TunDataplane&, DataplaneEvents& events) { events.error(message); });
}

void TunDataplane::wakeTransmitter() {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(wake_.get(), &one, sizeof one);
}

// ---- Policies -------------------------------------------------------------------------------

Result<PolicyId> TunDataplane::installTrap(const PolicySpec& spec) {
  return installPolicy(spec, RouteKind::Trap);
}

Result<PolicyId> TunDataplane::installShunt(const PolicySpec& spec, ShuntAction action) {
  switch (action) {
    case ShuntAction::Pass: return installPolicy(spec, RouteKind::Pass);
    case ShuntAction::Drop: return installPolicy(spec, RouteKind::Drop);
    case ShuntAction::Reject: return installPolicy(spec, RouteKind::Reject);
    case ShuntAction::Hold: return installPolicy(spec, RouteKind::Hold);
  }
  return fail("kernel-tun: unknown shunt action");
}

Result<PolicyId> TunDataplane::installPolicy(const PolicySpec& spec, RouteKind kind) {
  const std::string who = "kernel-tun: policy " + spec.local.toString() + " -> " + spec.remote.toString() +
                          (spec.connection.empty() ? "" : " of '" + spec.connection + "'");
  // Routes select by destination only; a protocol or port cannot be expressed by them.
  if (spec.protocol != 0 || spec.localPort != 0 || spec.remotePort != 0)
    return fail(who + ": protocol and port selectors are not supported by the TUN dataplane");
  if (spec.local.address().family() != spec.remote.address().family() && spec.local.length() != 0)
    return fail(who + ": local and remote prefixes are of different address families");
  const PolicyId id = nextId_++;
  std::optional<IpAddress> source;
  if (spec.local.isHost()) source = spec.local.address();
  {
    std::unique_lock lock(stateMutex_);
    prefixes_[spec.remote].push_back(PrefixEntry{id, kind, source});
  }
  if (auto applied = applyPrefix(spec.remote); !applied) {
    removeOwner(spec.remote, id);
    (void)applyPrefix(spec.remote);  // put back the route of the policy below, if any
    return Error{who + ": " + applied.error().message};
  }
  policies_[id] = Policy{spec, kind};
  reconsiderHeld();
  return id;
}

Result<void> TunDataplane::removePolicy(PolicyId id) {
  auto it = policies_.find(id);
  if (it == policies_.end()) return fail("kernel-tun: no policy with id " + std::to_string(id));
  const IpPrefix prefix = it->second.spec.remote;
  policies_.erase(it);
  removeOwner(prefix, id);
  auto applied = applyPrefix(prefix);
  reconsiderHeld();
  return applied;
}

void TunDataplane::removeOwner(const IpPrefix& prefix, std::uint64_t owner) {
  std::unique_lock lock(stateMutex_);
  auto it = prefixes_.find(prefix);
  if (it == prefixes_.end()) return;
  std::erase_if(it->second, [&](const PrefixEntry& entry) { return entry.owner == owner; });
  if (it->second.empty()) prefixes_.erase(it);
}

Result<void> TunDataplane::applyPrefix(const IpPrefix& prefix) {
  std::optional<InstalledRoute> wanted;
  {
    std::shared_lock lock(stateMutex_);
    if (auto it = prefixes_.find(prefix); it != prefixes_.end() && !it->second.empty()) {
      const PrefixEntry& top = it->second.back();
      switch (top.kind) {
        case RouteKind::Trap:
        case RouteKind::Hold:
        case RouteKind::Sa:
          wanted = InstalledRoute{RoutingTable::RouteType::Device, top.preferredSource};
          break;
        case RouteKind::Pass: wanted = InstalledRoute{RoutingTable::RouteType::Throw, std::nullopt}; break;
        case RouteKind::Drop:
          wanted = InstalledRoute{RoutingTable::RouteType::Blackhole, std::nullopt};
          break;
        case RouteKind::Reject:
          wanted = InstalledRoute{RoutingTable::RouteType::Prohibit, std::nullopt};
          break;
      }
    }
  }
  auto current = installed_.find(prefix);
  if (!wanted) {
    if (current == installed_.end()) return success();
    auto removed = routing_->removeRoute(prefix, current->second.type);
    installed_.erase(current);
    return removed;
  }
  if (current != installed_.end() && current->second == *wanted) return success();
  // A change of type is not a replacement for the kernel (it matches on type): remove first.
  if (current != installed_.end() && current->second.type != wanted->type)
    (void)routing_->removeRoute(prefix, current->second.type);
  if (auto set = routing_->setRoute(prefix, wanted->type, tun_.ifindex(), wanted->preferredSource); !set) {
    if (current != installed_.end()) installed_.erase(current);
    return set;
  }
  installed_[prefix] = *wanted;
  return success();
}

const std::pair<const IpPrefix, std::vector<TunDataplane::PrefixEntry>>* TunDataplane::longestPrefix(
    const IpAddress& destination) const {
  const std::pair<const IpPrefix, std::vector<PrefixEntry>>* best = nullptr;
  for (const auto& entry : prefixes_) {
    if (entry.second.empty() || !entry.first.contains(destination)) continue;
    if (!best || entry.first.length() > best->first.length()) best = &entry;
  }
  return best;
}

TunDataplane::OutboundSa* TunDataplane::findOutbound(const IpAddress& destination) const {
  if (auto it = outboundByHost_.find(destination); it != outboundByHost_.end()) return it->second.get();
  OutboundSa* best = nullptr;
  int bestLength = -1;
  for (const auto& sa : outboundByPrefix_)
    for (const auto& prefix : sa->prefixes)
      if (prefix.contains(destination) && prefix.length() > bestLength) {
        best = sa.get();
        bestLength = prefix.length();
      }
  return best;
}

void TunDataplane::reconsiderHeld() {
  std::shared_lock state(stateMutex_);
  std::lock_guard held(heldMutex_);
  bool release = false;
  for (auto it = held_.begin(); it != held_.end();) {
    // What would happen to a new packet to this destination now decides for the held ones.
    RouteKind fate = RouteKind::Drop;
    if (findOutbound(it->first))
      fate = RouteKind::Sa;
    else if (const auto* match = longestPrefix(it->first))
      fate = match->second.back().kind;
    if (fate == RouteKind::Trap || fate == RouteKind::Hold) {
      ++it;
      continue;
    }
    const std::size_t count = it->second.packets.size();
    heldTotal_ -= count;
    if (fate == RouteKind::Sa || fate == RouteKind::Pass) {
      for (auto& packet : it->second.packets) released_.push_back(std::move(packet));
      release = true;
    } else {
      counters_.dropped.fetch_add(count, std::memory_order_relaxed);
    }
    it = held_.erase(it);
  }
  if (release) wakeTransmitter();
}

// ---- SAs ------------------------------------------------------------------------------------

Result<std::uint32_t> TunDataplane::allocateSpi(const IpAddress&, const IpAddress&) {
  std::unique_lock lock(stateMutex_);  // the receiver reads reservedSpis_ (early ESP)
  for (int attempt = 0; attempt < 64; ++attempt) {
    std::uint32_t spi = 0;
    if (::getrandom(&spi, sizeof spi, 0) != sizeof spi)
      return fail(std::string("kernel-tun: getrandom failed: ") + std::strerror(errno));
    if (spi < 256) continue;  // RFC 4303 §2.1: 1-255 reserved, 0 local use
    if (inbound_.count(spi) || reservedSpis_.count(spi)) continue;
    reservedSpis_.insert(spi);
    return spi;
  }
  return fail("kernel-tun: no free SPI found after 64 attempts");
}

Result<void> TunDataplane::addSa(const SaParams& params) {
  const std::string who =
      "kernel-tun: SA " + hexSpi(params.ref.spi) + " to " + params.ref.destination.toString();
  if (!params.encapsulation)
    return fail(who + ": the TUN dataplane sends ESP only in UDP (RFC 3948); negotiate UDP encapsulation");
  if (params.source.family() != params.ref.destination.family())
    return fail(who + ": source " + params.source.toString() + " and destination differ in address family");
  auto esp = EspSa::create(params);
  if (!esp) return Error{who + ": " + esp.error().message};

  if (params.direction == SaDirection::Inbound) {
    std::unique_lock lock(stateMutex_);
    if (inbound_.count(params.ref.spi)) return fail(who + ": an inbound SA with this SPI exists");
    auto sa = std::make_shared<InboundSa>();
    sa->esp = std::move(*esp);
    sa->peer = params.source;
    sa->local = params.ref.destination;
    sa->localSelectors = params.localSelectors;
    sa->remoteSelectors = params.remoteSelectors;
    auto& installed = *sa;
    inbound_[params.ref.spi] = std::move(sa);
    reservedSpis_.erase(params.ref.spi);
    openEarly(params.ref.spi, installed);
    return success();
  }

  auto sa = std::make_shared<OutboundSa>();
  sa->esp = std::move(*esp);
  sa->peer = params.ref.destination;
  sa->peerPort = params.encapsulation->destinationPort;
  sa->owner = nextId_++;
  for (const auto& selector : params.remoteSelectors) {
    auto prefix = prefixOf(selector);
    if (!prefix)
      return fail(who + ": remote selector " + selector.start.toString() + "-" + selector.end.toString() +
                  " is not a prefix; the TUN dataplane routes prefixes");
    sa->prefixes.push_back(*prefix);
  }
  if (sa->prefixes.empty()) sa->prefixes.push_back(IpPrefix::host(params.ref.destination));
  const auto key = std::pair{params.ref.spi, params.ref.destination};
  {
    std::unique_lock lock(stateMutex_);
    if (outboundByRef_.count(key)) return fail(who + ": an outbound SA with this SPI and destination exists");
    outboundByRef_[key] = sa;
    const bool hostOnly =
        std::all_of(sa->prefixes.begin(), sa->prefixes.end(), [](const IpPrefix& p) { return p.isHost(); });
    if (hostOnly)
      for (const auto& prefix : sa->prefixes) outboundByHost_[prefix.address()] = sa;
    else
      outboundByPrefix_.push_back(sa);
    for (const auto& prefix : sa->prefixes)
      prefixes_[prefix].push_back(PrefixEntry{sa->owner, RouteKind::Sa, params.source});
  }
  for (const auto& prefix : sa->prefixes) {
    if (auto applied = applyPrefix(prefix); !applied) {
      (void)deleteSa(params.ref);
      return Error{who + ": " + applied.error().message};
    }
  }
  reconsiderHeld();  // DESIGN.md §2: the packets the trap kept leave now
  return success();
}

Result<void> TunDataplane::deleteSa(const SaRef& ref) {
  std::shared_ptr<OutboundSa> outbound;
  {
    std::unique_lock lock(stateMutex_);
    if (auto it = inbound_.find(ref.spi); it != inbound_.end() && it->second->local == ref.destination) {
      inbound_.erase(it);
      return success();
    }
    auto it = outboundByRef_.find(std::pair{ref.spi, ref.destination});
    if (it == outboundByRef_.end())
      return fail("kernel-tun: no SA " + hexSpi(ref.spi) + " to " + ref.destination.toString());
    outbound = it->second;
    outboundByRef_.erase(it);
    for (const auto& prefix : outbound->prefixes) {
      auto host = outboundByHost_.find(prefix.address());
      if (host == outboundByHost_.end() || host->second != outbound) continue;
      outboundByHost_.erase(host);
      // During a rekey two SAs to one host coexist (RFC 7296 §2.8): when the one in use goes,
      // the newest remaining one takes over, as the kernel picks the newest matching state.
      std::shared_ptr<OutboundSa> newest;
      for (const auto& [key, candidate] : outboundByRef_)
        if (std::find(candidate->prefixes.begin(), candidate->prefixes.end(), prefix) !=
                candidate->prefixes.end() &&
            (!newest || candidate->owner > newest->owner))
          newest = candidate;
      if (newest) outboundByHost_[prefix.address()] = newest;
    }
    std::erase(outboundByPrefix_, outbound);
  }
  Result<void> result = success();
  for (const auto& prefix : outbound->prefixes) {
    removeOwner(prefix, outbound->owner);
    if (auto applied = applyPrefix(prefix); !applied && result.ok()) result = std::move(applied);
  }
  return result;
}

Result<SaCounters> TunDataplane::counters(const SaRef& ref) {
  std::shared_lock lock(stateMutex_);
  if (auto it = inbound_.find(ref.spi); it != inbound_.end() && it->second->local == ref.destination)
    return it->second->esp->counters();
  if (auto it = outboundByRef_.find(std::pair{ref.spi, ref.destination}); it != outboundByRef_.end())
    return it->second->esp->counters();
  return fail("kernel-tun: no SA " + hexSpi(ref.spi) + " to " + ref.destination.toString());
}

void TunDataplane::reportCrossing(const EspSa& esp, LifetimeCrossing crossed) {
  if (crossed == LifetimeCrossing::None) return;
  const SaRef ref = esp.ref();
  const bool hard = crossed == LifetimeCrossing::Hard;
  post([ref, hard](TunDataplane& self, DataplaneEvents& events) {
    // A hard-expired SA refuses packets already; removing it also removes its route, so the
    // trap (if any) catches the next packet (RFC 4301 §4.4.2.1: the SA must be deleted).
    if (hard) (void)self.deleteSa(ref);
    events.expired(ref, hard);
  });
}

void TunDataplane::checkLifetimes() {
  const auto now = std::chrono::system_clock::now();
  std::vector<std::pair<const EspSa*, LifetimeCrossing>> crossed;
  std::size_t released = 0;
  {
    std::shared_lock lock(stateMutex_);
    auto check = [&](EspSa& esp) {
      if (auto c = esp.checkTime(now); c != LifetimeCrossing::None) crossed.emplace_back(&esp, c);
      released += esp.releaseIdleContext(now, kIdleContextRelease) ? 1 : 0;
    };
    for (auto& [spi, sa] : inbound_) check(*sa->esp);
    for (auto& [key, sa] : outboundByRef_) check(*sa->esp);
  }
  if (released >= kTrimAfterReleases) ::malloc_trim(0);
  for (auto& [esp, c] : crossed) reportCrossing(*esp, c);
}

// ---- UDP encapsulation socket -----------------------------------------------------------------

bool TunDataplane::adoptUdpEncapsulationSocket(int fd, IkeReceiver& ike) {
  if (udpFd_.load() >= 0) return false;
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) < 0) {
    host_.log(LogLevel::Error,
              std::string("kernel-tun: cannot read the UDP socket's address: ") + std::strerror(errno));
    return false;
  }
  udpFamily_.store(local.ss_family);
  udpLocalPort_ = fromSockaddr(local) ? fromSockaddr(local)->second : 0;
  const std::uint32_t mark = options_.routing.fwmark;
  // DESIGN.md §7: our own ESP and IKE packets must not be routed back into the TUN device.
  if (::setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) < 0) {
    host_.log(LogLevel::Error,
              std::string("kernel-tun: cannot mark the UDP socket: ") + std::strerror(errno));
    return false;
  }
  const int on = 1;
  if (local.ss_family == AF_INET) {
    (void)::setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
  } else {
    (void)::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on);
    (void)::setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);  // mapped IPv4 on a dual-stack socket
  }
  // Bursts of 64 datagrams per GSO send arrive faster than one thread decrypts them; a small
  // receive buffer would drop them (wireguard-go uses 7 MiB for the same reason). FORCE goes
  // past net.core.rmem_max with CAP_NET_ADMIN; without it the plain option is capped there.
  const int bufferSize = 7 << 20;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufferSize, sizeof bufferSize) < 0)
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufferSize, sizeof bufferSize);
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bufferSize, sizeof bufferSize) < 0)
    (void)::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufferSize, sizeof bufferSize);
  if (options_.offloads) {
    // UDP GSO (Linux 4.18) and GRO (5.0) on the ESP-in-UDP socket: batches of datagrams per
    // send and per receive. The socket is ours from now on, so GRO buffers reach only us.
    int segment = 0;
    socklen_t size = sizeof segment;
    udpGso_.store(::getsockopt(fd, SOL_UDP, UDP_SEGMENT, &segment, &size) == 0);
    udpGro_ = ::setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof on) == 0;
  }
  host_.log(LogLevel::Info, std::string("kernel-tun: ESP in UDP with") +
                                (udpGso_.load() ? " UDP GSO" : "out UDP GSO") +
                                (udpGro_ ? ", UDP GRO" : ", without UDP GRO"));
  ike_ = &ike;
  udpFd_.store(fd);
  receiver_ = std::thread([this] { receiveLoop(); });
  wakeTransmitter();
  return true;
}

// ---- Fast path: TUN -> ESP ------------------------------------------------------------------------

void TunDataplane::transmitLoop() {
  // A slot holds one packet (at most the MTU) with room for the ESP header before it and the
  // trailer after it, so that it is encrypted where it lies.
  const std::size_t capacity = kTransmitHeadroom + static_cast<std::size_t>(tun_.mtu()) + kTrailerRoom;
  std::vector<std::uint8_t> buffers(kTransmitSlots * capacity);
  std::array<std::size_t, kTransmitSlots> segmentLengths{};
  // Per pending ESP packet: where it is, where it goes (same SA: same peer), and per message
  // sent: its address and the UDP_SEGMENT control message of a GSO batch.
  std::array<iovec, kTransmitSlots> vectors{};
  std::array<const OutboundSa*, kTransmitSlots> destinations{};
  std::array<sockaddr_storage, kTransmitSlots> addresses{};
  std::array<socklen_t, kTransmitSlots> addressLengths{};
  std::array<mmsghdr, kTransmitSlots> messages{};
  struct alignas(cmsghdr) SegmentControl {
    std::uint8_t bytes[CMSG_SPACE(sizeof(std::uint16_t))];
  };
  std::array<SegmentControl, kTransmitSlots> controls{};
  // One read of the TUN device: a packet or a super-packet of up to 64 KiB, after its header.
  VirtioNetHeader virtioHeader{};
  std::vector<std::uint8_t> readBuffer(kMaxSuperPacket);
  const std::size_t virtioLength = tun_.virtioHeader() ? sizeof(VirtioNetHeader) : 0;
  std::array<iovec, 2> readVectors{iovec{&virtioHeader, virtioLength},
                                   iovec{readBuffer.data(), readBuffer.size()}};
  std::vector<std::vector<std::uint8_t>> released;
  // Slots filled since the last flush, and ESP packets among them waiting to be sent: a packet
  // that is held, passed or dropped uses a slot but sends nothing.
  std::size_t usedSlots = 0;
  std::size_t pending = 0;

  // Sends messages[0, count) with sendmmsg; a message the kernel refuses is skipped (e.g. no
  // route), the rest may still go.
  auto sendMessages = [&](int fd, std::size_t count) {
    std::size_t sent = 0;
    while (sent < count) {
      const int n = ::sendmmsg(fd, messages.data() + sent, static_cast<unsigned>(count - sent), 0);
      if (n > 0) {
        for (std::size_t i = sent; i < sent + static_cast<std::size_t>(n); ++i) {
          const std::size_t datagrams = messages[i].msg_hdr.msg_iovlen;
          counters_.espSent.fetch_add(datagrams, std::memory_order_relaxed);
          if (datagrams > 1) counters_.udpGsoSends.fetch_add(datagrams, std::memory_order_relaxed);
        }
        sent += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      const int error = errno;
      msghdr& refused = messages[sent].msg_hdr;
      if (refused.msg_iovlen > 1 && (error == EIO || error == EINVAL || error == EOPNOTSUPP)) {
        // The path cannot segment UDP (e.g. an XFRM policy on it): one datagram each from now on.
        if (udpGso_.exchange(false))
          reportWorkerFailure("sending ESP in UDP with UDP_SEGMENT (now off)", error);
        msghdr single = refused;
        single.msg_control = nullptr;
        single.msg_controllen = 0;
        single.msg_iovlen = 1;
        for (std::size_t i = 0; i < refused.msg_iovlen; ++i) {
          single.msg_iov = refused.msg_iov + i;
          if (::sendmsg(fd, &single, 0) < 0)
            counters_.sendErrors.fetch_add(1, std::memory_order_relaxed);
          else
            counters_.espSent.fetch_add(1, std::memory_order_relaxed);
        }
      } else {
        counters_.sendErrors.fetch_add(refused.msg_iovlen, std::memory_order_relaxed);
      }
      ++sent;
    }
  };

  // Sends the pending ESP packets: consecutive packets to one peer of one length (the last
  // may be shorter) go as one UDP GSO message (UDP_SEGMENT), the kernel cuts it into datagrams.
  auto flush = [&] {
    const int fd = udpFd_.load();
    if (fd < 0) {
      counters_.sendErrors.fetch_add(pending, std::memory_order_relaxed);
      pending = usedSlots = 0;
      return;
    }
    const bool gso = udpGso_.load(std::memory_order_relaxed);
    std::size_t count = 0;
    for (std::size_t first = 0; first < pending;) {
      const std::size_t segment = vectors[first].iov_len;
      std::size_t end = first + 1;
      std::size_t total = segment;
      while (gso && end < pending && end - first < kMaxUdpSegments &&
             destinations[end] == destinations[first] && vectors[end].iov_len <= segment &&
             total + vectors[end].iov_len <= kMaxUdpPayload) {
        total += vectors[end].iov_len;
        if (vectors[end++].iov_len < segment) break;  // a shorter datagram ends the batch
      }
      msghdr& message = messages[count].msg_hdr;
      message = msghdr{};
      message.msg_name = &addresses[first];
      message.msg_namelen = addressLengths[first];
      message.msg_iov = &vectors[first];
      message.msg_iovlen = end - first;
      if (end - first > 1) {
        message.msg_control = controls[count].bytes;
        message.msg_controllen = sizeof controls[count].bytes;
        cmsghdr* control = CMSG_FIRSTHDR(&message);
        control->cmsg_level = SOL_UDP;
        control->cmsg_type = UDP_SEGMENT;
        control->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
        const auto size = static_cast<std::uint16_t>(segment);
        std::memcpy(CMSG_DATA(control), &size, sizeof size);
      }
      ++count;
      first = end;
    }
    sendMessages(fd, count);
    pending = usedSlots = 0;
  };

  // Encrypts the packet in slot `slot` for `sa` into the next pending ESP packet, whose address
  // the caller has written: `ipHeaderLength` and `protocol` are the packet's, `tunnelNextHeader`
  // is 4 or 41 as its IP version. The caller holds the lock. False when it was dropped.
  auto seal = [&](std::size_t slot, std::size_t length, const OutboundSa& sa, std::size_t ipHeaderLength,
                  std::uint8_t tunnelNextHeader, std::uint8_t protocol) -> bool {
    std::uint8_t* base = buffers.data() + slot * capacity;
    EspSa& esp = *sa.esp;
    std::uint8_t* payload = base + kTransmitHeadroom;
    std::size_t payloadLength = length;
    std::uint8_t nextHeader = tunnelNextHeader;
    if (esp.mode() == IpsecMode::Transport) {  // RFC 4303 §3.1.1: ESP after the IP header
      payload += ipHeaderLength;
      payloadLength -= ipHeaderLength;
      nextHeader = protocol;
    }
    std::uint8_t* out = payload - esp.headerLength();
    auto result = esp.encapsulate({payload, payloadLength}, nextHeader,
                                  {out, static_cast<std::size_t>(base + capacity - out)});
    reportCrossing(esp, result.crossed);
    if (result.status != EspStatus::Ok) {
      counters_.dropped.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    vectors[pending] = iovec{out, result.length};
    destinations[pending] = &sa;
    ++pending;
    return true;
  };

  // Handles one packet in slot `slot`; the caller holds the lock. Returns its headers when it
  // went to an SA (the next pending ESP packet).
  auto handle = [&](std::size_t slot, std::size_t length) -> std::optional<PacketHeaders> {
    std::uint8_t* base = buffers.data() + slot * capacity;
    std::uint8_t* packet = base + kTransmitHeadroom;
    auto headers = PacketHeaders::parse({packet, length});
    if (!headers) {
      counters_.dropped.fetch_add(1, std::memory_order_relaxed);
      return std::nullopt;
    }
    // IKE itself is never protected nor acquired (RFC 7296 §2.23; kernel IPsec has bypass
    // policies on the IKE sockets for this): an IKE packet from a socket without our mark
    // leaves in the clear through the marked raw socket.
    const bool ike =
        headers->protocol == 17 && (headers->sourcePort == 500 || headers->sourcePort == 4500 ||
                                    headers->destinationPort == 500 || headers->destinationPort == 4500);
    OutboundSa* sa = ike ? nullptr : findOutbound(headers->destination);
    if (sa) {
      if (udpFd_.load(std::memory_order_relaxed) < 0) {  // no socket adopted yet: nowhere to send
        counters_.sendErrors.fetch_add(1, std::memory_order_relaxed);
        return std::nullopt;
      }
      toSockaddr(sa->peer, sa->peerPort, udpFamily_.load(std::memory_order_relaxed), addresses[pending],
                 addressLengths[pending]);
      if (!seal(slot, length, *sa, headers->headerLength,
                headers->source.isV4() ? kNextHeaderIpv4 : kNextHeaderIpv6, headers->protocol))
        return std::nullopt;
      return headers;
    }
    const auto* match = ike ? nullptr : longestPrefix(headers->destination);
    const RouteKind kind = ike ? RouteKind::Pass : match ? match->second.back().kind : RouteKind::Drop;
    if (kind == RouteKind::Pass) {
      // DESIGN.md §7: a packet read before a pass shunt applied leaves in the clear, marked.
      sockaddr_storage address{};
      socklen_t addressLength = 0;
      const int family = headers->destination.isV4() ? AF_INET : AF_INET6;
      toSockaddr(headers->destination, 0, family, address, addressLength);
      const int fd = family == AF_INET ? rawV4_.get() : rawV6_.get();
      if (::sendto(fd, packet, length, 0, reinterpret_cast<sockaddr*>(&address), addressLength) < 0)
        counters_.sendErrors.fetch_add(1, std::memory_order_relaxed);
      else
        counters_.passed.fetch_add(1, std::memory_order_relaxed);
      return std::nullopt;
    }
    if (kind != RouteKind::Trap && kind != RouteKind::Hold) {
      counters_.dropped.fetch_add(1, std::memory_order_relaxed);
      return std::nullopt;
    }
    std::lock_guard heldLock(heldMutex_);
    Held& held = held_[headers->destination];
    if (held.packets.size() >= options_.heldPacketsPerDestination ||
        heldTotal_ >= options_.heldPacketsTotal) {
      counters_.heldDropped.fetch_add(1, std::memory_order_relaxed);
    } else {
      held.packets.emplace_back(packet, packet + length);
      ++heldTotal_;
      counters_.held.fetch_add(1, std::memory_order_relaxed);
    }
    if (kind != RouteKind::Trap) return std::nullopt;
    // One acquire per destination, repeated while nothing answers it (the core may have
    // dropped it); the kernel's larval SAs behave alike.
    const auto now = std::chrono::steady_clock::now();
    if (held.acquiredAt && now - *held.acquiredAt < options_.acquireRepeat) return std::nullopt;
    held.acquiredAt = now;
    Acquire acquire{match->second.back().owner, headers->source,     headers->destination,
                    headers->protocol,          headers->sourcePort, headers->destinationPort};
    post([acquire](TunDataplane&, DataplaneEvents& events) { events.acquire(acquire); });
    return std::nullopt;
  };

  // Segments what one read gave into free slots and handles each segment; false when it needs
  // more free slots than there are (the caller flushes and tries again).
  auto segmentAndHandle = [&](std::size_t length) -> bool {
    const SegmentSlots slots{buffers.data() + usedSlots * capacity + kTransmitHeadroom, capacity,
                             static_cast<std::size_t>(tun_.mtu()), kTransmitSlots - usedSlots};
    const auto result = GsoSegmenter::split(virtioHeader, {readBuffer.data(), length}, slots, segmentLengths);
    if (result.status == SegmentStatus::TooManySegments && usedSlots > 0) return false;
    if (result.status != SegmentStatus::Ok) {
      counters_.dropped.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
    if (virtioHeader.gsoType != VirtioNetHeader::kGsoNone)
      counters_.tunSuperPackets.fetch_add(1, std::memory_order_relaxed);
    const std::size_t first = usedSlots;
    usedSlots += result.segments;
    const auto headers = handle(first, segmentLengths[0]);
    if (headers) {
      // The segments of a super-packet share addresses, ports and header lengths: when the
      // first went to an SA, so do the others, without parsing and looking up each again.
      const OutboundSa& sa = *destinations[pending - 1];
      const std::uint8_t tunnelNextHeader = headers->source.isV4() ? kNextHeaderIpv4 : kNextHeaderIpv6;
      for (std::size_t i = 1; i < result.segments; ++i) {
        addresses[pending] = addresses[pending - 1];
        addressLengths[pending] = addressLengths[pending - 1];
        seal(first + i, segmentLengths[i], sa, headers->headerLength, tunnelNextHeader, headers->protocol);
      }
      return true;
    }
    for (std::size_t i = 1; i < result.segments; ++i) handle(first + i, segmentLengths[i]);
    return true;
  };

  while (!stop_.load(std::memory_order_relaxed)) {
    std::array<pollfd, 2> fds{pollfd{tun_.fd(), POLLIN, 0}, pollfd{wake_.get(), POLLIN, 0}};
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) {
      reportWorkerFailure("the TUN reader", errno);
      break;
    }
    if (fds[1].revents & POLLIN) {
      std::uint64_t value;
      [[maybe_unused]] auto n = ::read(wake_.get(), &value, sizeof value);
      std::lock_guard heldLock(heldMutex_);
      released.swap(released_);
    }
    if (stop_.load(std::memory_order_relaxed)) break;
    // Packets released from the hold queues first, in the order they came: they are the oldest.
    // They were segments already when they were held.
    for (std::size_t next = 0; next < released.size();) {
      std::shared_lock lock(stateMutex_);
      for (; next < released.size() && usedSlots < kTransmitSlots; ++next) {
        const auto& packet = released[next];
        if (packet.size() > static_cast<std::size_t>(tun_.mtu())) continue;
        std::memcpy(buffers.data() + usedSlots * capacity + kTransmitHeadroom, packet.data(), packet.size());
        handle(usedSlots++, packet.size());
      }
      lock.unlock();
      flush();
    }
    released.clear();
    for (;;) {
      std::shared_lock lock(stateMutex_);
      std::size_t read = 0;
      // Read while a worst-case super-packet at the MTU's segment size still has free slots.
      while (usedSlots + kSlotsPerRead <= kTransmitSlots) {
        const ssize_t n = ::readv(tun_.fd(), readVectors.data(), 2);
        if (n < 0 && errno != EAGAIN && errno != EINTR) reportWorkerFailure("reading the TUN device", errno);
        if (n <= static_cast<ssize_t>(virtioLength)) break;
        ++read;
        counters_.tunPacketsRead.fetch_add(1, std::memory_order_relaxed);
        const std::size_t length = static_cast<std::size_t>(n) - virtioLength;
        if (!segmentAndHandle(length)) {
          lock.unlock();
          flush();
          lock.lock();
          (void)segmentAndHandle(length);
        }
      }
      lock.unlock();
      flush();
      if (read == 0) break;
    }
  }
}

// ---- Fast path: ESP -> TUN ------------------------------------------------------------------------

void TunDataplane::receiveLoop() {
  const int fd = udpFd_.load();
  // With UDP_GRO one buffer holds many datagrams of one sender; each needs up to 64 KiB.
  constexpr std::size_t kCapacity = kReceiveHeadroom + 65536;
  std::vector<std::uint8_t> buffers(kBatch * kCapacity);
  std::array<mmsghdr, kBatch> messages{};
  std::array<iovec, kBatch> vectors{};
  std::array<sockaddr_storage, kBatch> sources{};
  struct alignas(cmsghdr) Control {
    std::uint8_t bytes[128];
  };
  std::array<Control, kBatch> controls{};
  // Without IFF_VNET_HDR (no offloads) a write is one bare packet: nothing is coalesced.
  const bool virtioHeader = tun_.virtioHeader();
  GroCoalescer coalescer(virtioHeader ? kCoalescedPackets : 1, tun_.udpSegmentation());
  // Transport-mode payloads of GRO buffers with their restored IP headers (see receive()).
  std::vector<std::uint8_t> relocated(kRelocationArea);
  std::size_t relocatedUsed = 0;
  // The end of what the coalescer still holds of the current buffer: octets before it are in
  // use, octets after it up to the next payload (trailer, ICV, ESP header, IV) are free.
  const std::uint8_t* heldEnd = nullptr;

  auto writeOut = [&] {
    relocatedUsed = 0;
    heldEnd = nullptr;
    coalescer.flush([&](const iovec* vectors, int count) {
      const int skip = virtioHeader ? 0 : 1;  // the virtio header goes only to a device that wants it
      const auto packets = static_cast<std::uint64_t>(count - 1);
      if (::writev(tun_.fd(), vectors + skip, count - skip) < 0) {
        counters_.sendErrors.fetch_add(packets, std::memory_order_relaxed);
        return;
      }
      counters_.espReceived.fetch_add(packets, std::memory_order_relaxed);
      if (packets > 1) counters_.tunCoalesced.fetch_add(packets, std::memory_order_relaxed);
    });
  };

  // One datagram at data[0, length).
  auto receive = [&](std::uint8_t* data, std::size_t length, const msghdr& message,
                     const sockaddr_storage& source) {
    if (length == 1 && data[0] == 0xff) return;  // RFC 3948 §2.3: NAT-keepalive
    if (length >= 4 && data[0] == 0 && data[1] == 0 && data[2] == 0 && data[3] == 0) {
      // RFC 3948 §2.2: the non-ESP marker; IKE belongs to the core.
      auto from = fromSockaddr(source);
      if (!from) return;
      IpAddress to;
      for (const cmsghdr* c = CMSG_FIRSTHDR(&message); c;
           c = CMSG_NXTHDR(const_cast<msghdr*>(&message), const_cast<cmsghdr*>(c))) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
          in_pktinfo info;
          std::memcpy(&info, CMSG_DATA(c), sizeof info);
          std::array<std::uint8_t, 4> octets;
          std::memcpy(octets.data(), &info.ipi_addr, 4);
          to = IpAddress::v4(octets);
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
          in6_pktinfo info;
          std::memcpy(&info, CMSG_DATA(c), sizeof info);
          std::array<std::uint8_t, 16> octets;
          std::memcpy(octets.data(), &info.ipi6_addr, 16);
          to = IpAddress::v6(octets);
        }
      }
      counters_.ikeReceived.fetch_add(1, std::memory_order_relaxed);
      ike_->ikeReceived({data + 4, length - 4}, from->first, from->second, to, udpLocalPort_);
      return;
    }
    if (length < EspSa::kSpiAndSequenceLength) {
      counters_.espRejected.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    const std::uint32_t spi = loadBigEndian32(data);
    std::shared_lock lock(stateMutex_);
    auto it = inbound_.find(spi);
    if (it == inbound_.end()) {
      // ESP for an SPI we handed out whose SA is not installed yet: kept briefly (keepEarly).
      if (reservedSpis_.count(spi))
        keepEarly(spi, data, length);
      else
        counters_.espRejected.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    InboundSa& sa = *it->second;
    auto result = sa.esp->decapsulate({data, length});
    reportCrossing(*sa.esp, result.crossed);
    if (result.status != EspStatus::Ok) {
      counters_.espRejected.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    std::uint8_t* inner = data + result.payloadOffset;
    std::size_t innerLength = result.payloadLength;
    if (sa.esp->mode() == IpsecMode::Transport) {
      // RFC 4303 §3.1.1: the IP header comes back before the payload. The first datagram of a
      // buffer has headroom for it. Before a later datagram of a GRO buffer lie its own ESP
      // header and IV and the previous datagram's trailer and ICV, all spent: at least 34
      // octets with AES-GCM, enough for an IPv4 header. Where they are too few (IPv6 after
      // a short trailer) the payload moves to the relocation area (written out, and so
      // emptied, when full).
      const std::size_t header = sa.peer.isV4() ? 20 : 40;
      if (heldEnd && inner - header < heldEnd) {
        if (relocatedUsed + header + innerLength > relocated.size()) writeOut();
        std::uint8_t* target = relocated.data() + relocatedUsed + header;
        std::memcpy(target, inner, innerLength);
        inner = target;
        relocatedUsed += header + innerLength;
        counters_.transportRelocated.fetch_add(1, std::memory_order_relaxed);
      } else {
        heldEnd = inner + innerLength;
      }
      writeIpHeader(inner, innerLength, sa.peer, sa.local, result.nextHeader);
      inner -= header;
      innerLength += header;
    } else {
      if (!carriesItsOwnTraffic(sa, {inner, innerLength})) {
        counters_.espRejected.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      heldEnd = inner + innerLength;
    }
    lock.unlock();
    if (coalescer.full()) writeOut();
    coalescer.add({inner, innerLength});
    if (!virtioHeader) writeOut();
  };

  while (!stop_.load(std::memory_order_relaxed)) {
    // The timeout bounds how long destruction waits for this thread.
    pollfd readable{fd, POLLIN, 0};
    if (::poll(&readable, 1, 200) < 0 && errno != EINTR) {
      reportWorkerFailure("the UDP reader", errno);
      break;
    }
    if (stop_.load(std::memory_order_relaxed)) break;
    if (!(readable.revents & POLLIN)) continue;
    for (std::size_t i = 0; i < kBatch; ++i) {
      vectors[i] = iovec{buffers.data() + i * kCapacity + kReceiveHeadroom, kCapacity - kReceiveHeadroom};
      messages[i].msg_hdr = msghdr{};
      messages[i].msg_hdr.msg_name = &sources[i];
      messages[i].msg_hdr.msg_namelen = sizeof sources[i];
      messages[i].msg_hdr.msg_iov = &vectors[i];
      messages[i].msg_hdr.msg_iovlen = 1;
      messages[i].msg_hdr.msg_control = controls[i].bytes;
      messages[i].msg_hdr.msg_controllen = sizeof controls[i].bytes;
    }
    const int count = ::recvmmsg(fd, messages.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (count <= 0) continue;
    for (int i = 0; i < count; ++i) {
      const msghdr& message = messages[i].msg_hdr;
      std::uint8_t* data = static_cast<std::uint8_t*>(vectors[i].iov_base);
      const std::size_t length = messages[i].msg_len;
      // UDP_GRO: datagrams of `segment` octets back to back, the last may be shorter.
      std::size_t segment = length;
      if (udpGro_) {
        for (const cmsghdr* c = CMSG_FIRSTHDR(&message); c;
             c = CMSG_NXTHDR(const_cast<msghdr*>(&message), const_cast<cmsghdr*>(c))) {
          if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
            int size = 0;
            std::memcpy(&size, CMSG_DATA(c), sizeof size);
            if (size > 0) segment = static_cast<std::size_t>(size);
          }
        }
      }
      if (segment < length)
        counters_.udpGroReceives.fetch_add((length + segment - 1) / segment, std::memory_order_relaxed);
      heldEnd = nullptr;  // nothing of this buffer is held yet
      for (std::size_t offset = 0; offset < length; offset += segment)
        receive(data + offset, std::min(segment, length - offset), message, sources[i]);
    }
    writeOut();
  }
}

std::optional<std::span<std::uint8_t>> TunDataplane::openEsp(InboundSa& sa, std::uint8_t* data,
                                                             std::size_t length) {
  auto result = sa.esp->decapsulate({data, length});
  reportCrossing(*sa.esp, result.crossed);
  if (result.status != EspStatus::Ok) {
    counters_.espRejected.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  std::uint8_t* inner = data + result.payloadOffset;
  std::size_t innerLength = result.payloadLength;
  if (sa.esp->mode() == IpsecMode::Transport) {
    const std::size_t header = writeIpHeader(inner, innerLength, sa.peer, sa.local, result.nextHeader);
    inner -= header;
    innerLength += header;
  } else {
    if (!carriesItsOwnTraffic(sa, {inner, innerLength})) {
      counters_.espRejected.fetch_add(1, std::memory_order_relaxed);
      return std::nullopt;
    }
  }
  return std::span<std::uint8_t>(inner, innerLength);
}

bool TunDataplane::carriesItsOwnTraffic(const InboundSa& sa, std::span<const std::uint8_t> inner) {
  auto headers = PacketHeaders::parse(inner);
  return headers && inSelectors(sa.remoteSelectors, headers->source) &&
         inSelectors(sa.localSelectors, headers->destination);
}

void TunDataplane::keepEarly(std::uint32_t spi, const std::uint8_t* data, std::size_t length) {
  // A few packets per SPI for a short while: enough for the race between the responder's
  // first packets and our processing of its IKE_AUTH response, too little to be a resource
  // (at most 1024 packets of at most 64 KiB; only SPIs we allocated count). A node that meets
  // 127 peers at once (bench/mesh_bench.sh, 128 nodes) has that many such races at a time, and
  // an IKE_AUTH response that was lost comes again after a retransmission, seconds later: 64
  // packets and 2 s lost first packets there.
  constexpr std::size_t kPerSpi = 8, kTotal = 1024;
  constexpr auto kKeepFor = std::chrono::seconds(5);
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(earlyMutex_);
  for (auto it = early_.begin(); it != early_.end();) {
    if (now - it->second.firstAt < kKeepFor) {
      ++it;
      continue;
    }
    earlyTotal_ -= it->second.packets.size();
    counters_.espRejected.fetch_add(it->second.packets.size(), std::memory_order_relaxed);
    it = early_.erase(it);
  }
  auto& kept = early_[spi];
  if (kept.packets.empty()) kept.firstAt = now;
  if (kept.packets.size() >= kPerSpi || earlyTotal_ >= kTotal) {
    counters_.espRejected.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  std::vector<std::uint8_t> copy(kReceiveHeadroom + length);
  std::memcpy(copy.data() + kReceiveHeadroom, data, length);
  kept.packets.push_back(std::move(copy));
  ++earlyTotal_;
}

void TunDataplane::openEarly(std::uint32_t spi, InboundSa& sa) {
  std::vector<std::vector<std::uint8_t>> packets;
  {
    std::lock_guard lock(earlyMutex_);
    auto it = early_.find(spi);
    if (it == early_.end()) return;
    packets = std::move(it->second.packets);
    earlyTotal_ -= packets.size();
    early_.erase(it);
  }
  for (auto& packet : packets) {
    auto inner = openEsp(sa, packet.data() + kReceiveHeadroom, packet.size() - kReceiveHeadroom);
    if (!inner) continue;
    counters_.espEarly.fetch_add(1, std::memory_order_relaxed);
    // A device opened with IFF_VNET_HDR takes a virtio header before every packet: here one
    // that says "a plain packet, checksums complete".
    VirtioNetHeader plain{};
    const std::array<iovec, 2> write{iovec{&plain, tun_.virtioHeader() ? sizeof plain : 0},
                                     iovec{inner->data(), inner->size()}};
    if (::writev(tun_.fd(), write.data(), 2) < 0)
      counters_.sendErrors.fetch_add(1, std::memory_order_relaxed);
    else
      counters_.espReceived.fetch_add(1, std::memory_order_relaxed);
  }
}

TunDataplane::Statistics TunDataplane::statistics() const {
  Statistics s;
  s.tunPacketsRead = counters_.tunPacketsRead.load();
  s.espSent = counters_.espSent.load();
  s.espReceived = counters_.espReceived.load();
  s.ikeReceived = counters_.ikeReceived.load();
  s.held = counters_.held.load();
  s.heldDropped = counters_.heldDropped.load();
  s.passed = counters_.passed.load();
  s.dropped = counters_.dropped.load();
  s.espRejected = counters_.espRejected.load();
  s.espEarly = counters_.espEarly.load();
  s.sendErrors = counters_.sendErrors.load();
  s.tunSuperPackets = counters_.tunSuperPackets.load();
  s.udpGsoSends = counters_.udpGsoSends.load();
  s.udpGroReceives = counters_.udpGroReceives.load();
  s.tunCoalesced = counters_.tunCoalesced.load();
  s.transportRelocated = counters_.transportRelocated.load();
  return s;
}

}  // namespace ikemesh::tun
