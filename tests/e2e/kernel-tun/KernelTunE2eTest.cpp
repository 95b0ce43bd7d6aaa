// SPDX-License-Identifier: GPL-2.0-or-later
// The kernel-tun dataplane with real kernel objects: two instances in two network namespaces
// linked by a veth pair (192.0.2.1 and 192.0.2.2), hand-made SAs with the same keys on both
// sides. Run by kernel_tun.sh, which creates the namespaces and removes them on every exit;
// this program refuses to touch the namespace it was started in.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <ikemesh/testkit/FakeHost.hpp>
#include "TunDataplane.hpp"
#include "util/UniqueFd.hpp"

extern char** environ;

using namespace ikemesh;
using namespace ikemesh::tun;
using namespace std::chrono_literals;

namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

ino_t namespaceInode(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

/// Moves the calling thread into a test namespace for its scope. Everything the dataplane
/// creates while it lives (TUN device, netlink and raw sockets) stays in that namespace.
class InNamespace {
 public:
  explicit InNamespace(const std::string& name) {
    original_.reset(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    UniqueFd target(::open(("/var/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC));
    if (!original_ || !target || ::setns(target.get(), CLONE_NEWNET) != 0) {
      ADD_FAILURE() << "cannot enter network namespace " << name;
      return;
    }
    entered_ = namespaceInode("/proc/thread-self/ns/net") != namespaceInode("/proc/1/ns/net");
    if (!entered_) ADD_FAILURE() << name << " is the initial network namespace; refusing";
  }
  ~InNamespace() {
    if (original_) ::setns(original_.get(), CLONE_NEWNET);
  }
  bool entered() const { return entered_; }

 private:
  UniqueFd original_;
  bool entered_ = false;
};

/// Runs a command and returns its standard output (and its exit status through `status`).
std::string run(const std::string& command, int* status = nullptr) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return output;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  const int rc = ::pclose(pipe);
  if (status) *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return output;
}

std::string describe(const TunDataplane::Statistics& s) {
  std::ostringstream out;
  out << "tun read " << s.tunPacketsRead << ", ESP sent " << s.espSent << ", ESP received " << s.espReceived
      << ", IKE received " << s.ikeReceived << ", held " << s.held << " (dropped " << s.heldDropped
      << "), passed " << s.passed << ", dropped " << s.dropped << ", ESP rejected " << s.espRejected
      << ", ESP early " << s.espEarly << ", send errors " << s.sendErrors;
  return out.str();
}

/// Lines of `tcpdump -r` output that are packets (they start with the time of day).
int packetLines(const std::string& output) {
  int count = 0;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && std::isdigit(static_cast<unsigned char>(line[0]))) ++count;
  return count;
}

struct RecordedEvents final : DataplaneEvents {
  void acquire(const Acquire& a) override { acquires.push_back(a); }
  void expired(const SaRef& sa, bool hard) override { expiries.emplace_back(sa, hard); }
  void error(const std::string& message) override { errors.push_back(message); }
  std::vector<Acquire> acquires;
  std::vector<std::pair<SaRef, bool>> expiries;
  std::vector<std::string> errors;
};

struct RecordedIke final : IkeReceiver {
  void ikeReceived(std::span<const std::uint8_t> message, const IpAddress& from, std::uint16_t fromPort,
                   const IpAddress& to, std::uint16_t toPort) override {
    std::lock_guard lock(mutex);
    messages.push_back(
        {std::vector<std::uint8_t>(message.begin(), message.end()), from, fromPort, to, toPort});
  }
  struct Message {
    std::vector<std::uint8_t> bytes;
    IpAddress from;
    std::uint16_t fromPort;
    IpAddress to;
    std::uint16_t toPort;
  };
  std::size_t count() {
    std::lock_guard lock(mutex);
    return messages.size();
  }
  std::mutex mutex;
  std::vector<Message> messages;
};

const IpAddress kAddressA = *IpAddress::parse("192.0.2.1");
const IpAddress kAddressB = *IpAddress::parse("192.0.2.2");
const IpPrefix kMesh = *IpPrefix::parse("192.0.2.0/24");
// The second link of kernel_tun.sh.
const IpAddress kAddressA6 = *IpAddress::parse("2001:db8:4500::1");
const IpAddress kAddressB6 = *IpAddress::parse("2001:db8:4500::2");
const IpPrefix kMesh6 = *IpPrefix::parse("2001:db8:4500::/64");

/// One node: its namespace, a host, the dataplane and the UDP 4500 socket the core would own.
struct Node {
  Node(std::string ns, IpAddress address)
      : ns(std::move(ns)), address(address), host("kernel-tun-" + this->ns) {}

  bool start() {
    InNamespace inside(ns);
    if (!inside.entered()) return false;
    auto created = TunDataplane::create(host, options);
    if (!created) {
      ADD_FAILURE() << created.error().message;
      return false;
    }
    dataplane = std::move(*created);
    dataplane->setEvents(&events);
    // An IPv6 node gets a dual-stack socket, as the core opens one.
    const int family = address.isV4() ? AF_INET : AF_INET6;
    socket.reset(::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_storage bound{};
    socklen_t boundLength = sizeof(sockaddr_in);
    if (family == AF_INET) {
      reinterpret_cast<sockaddr_in*>(&bound)->sin_family = AF_INET;
      reinterpret_cast<sockaddr_in*>(&bound)->sin_port = htons(4500);
    } else {
      reinterpret_cast<sockaddr_in6*>(&bound)->sin6_family = AF_INET6;
      reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port = htons(4500);
      boundLength = sizeof(sockaddr_in6);
    }
    if (!socket || ::bind(socket.get(), reinterpret_cast<sockaddr*>(&bound), boundLength) != 0) {
      ADD_FAILURE() << "cannot bind UDP 4500 in " << ns;
      return false;
    }
    return dataplane->adoptUdpEncapsulationSocket(socket.get(), ike);
  }
  void stop() {
    dataplane.reset();
    socket.reset();
  }

  std::string ns;
  IpAddress address;
  TunOptions options;
  testkit::FakeHost host;
  RecordedEvents events;
  RecordedIke ike;
  std::unique_ptr<TunDataplane> dataplane;
  UniqueFd socket;
};

SaParams saParams(std::uint32_t spi, SaDirection direction, const IpAddress& from, const IpAddress& to,
                  IpsecMode mode, std::uint8_t keyByte) {
  SaParams params;
  params.ref = SaRef{spi, to};
  params.direction = direction;
  params.source = from;
  params.mode = mode;
  params.encryption = EncryptionId::AesGcm16;
  params.encryptionKey.assign(20, keyByte);
  params.encapsulation = UdpEncapsulation{};
  // Selectors from this node's view: local is the node's own address.
  const IpAddress& local = direction == SaDirection::Outbound ? from : to;
  const IpAddress& remote = direction == SaDirection::Outbound ? to : from;
  params.localSelectors = {TrafficSelector::forHost(local)};
  params.remoteSelectors = {TrafficSelector::forHost(remote)};
  params.connection = "private";
  return params;
}

/// A→B with SPI 0x1000, B→A with SPI 0x2000: both halves of one CHILD_SA on both nodes.
/// `adjust` may change A's SAs (lifetimes) before they are added.
void addSaPair(Node& a, Node& b, IpsecMode mode, const std::function<void(SaParams&)>& adjust = {}) {
  auto check = [](Result<void> r) { ASSERT_TRUE(r.ok()) << r.error().message; };
  auto forA = [&](SaParams params) {
    if (adjust) adjust(params);
    return params;
  };
  check(a.dataplane->addSa(forA(saParams(0x2000, SaDirection::Inbound, b.address, a.address, mode, 0x22))));
  check(b.dataplane->addSa(saParams(0x1000, SaDirection::Inbound, a.address, b.address, mode, 0x11)));
  check(b.dataplane->addSa(saParams(0x2000, SaDirection::Outbound, b.address, a.address, mode, 0x22)));
  check(a.dataplane->addSa(forA(saParams(0x1000, SaDirection::Outbound, a.address, b.address, mode, 0x11))));
}

PolicySpec trapSpec(const Node& node) {
  return PolicySpec{"private", IpPrefix::host(node.address), node.address.isV4() ? kMesh : kMesh6, 0, 0, 0};
}

/// A process started in the background (tcpdump), ended by its PID.
class Background {
 public:
  explicit Background(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (::posix_spawnp(&pid_, args[0], nullptr, nullptr, args.data(), environ) != 0) pid_ = -1;
  }
  ~Background() { stop(); }
  /// Waits for the process to exit by itself; its exit status, or -1 on timeout.
  int wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(10ms);
    }
    return -1;
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGINT);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

class KernelTunE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    nsA = env("IKM_NS_A");
    nsB = env("IKM_NS_B");
    workDir = env("IKM_TMP");
    ASSERT_FALSE(nsA.empty() || nsB.empty() || workDir.empty())
        << "run through tests/e2e/kernel_tun.sh (IKM_NS_A, IKM_NS_B, IKM_TMP)";
    a = std::make_unique<Node>(nsA, kAddressA);
    b = std::make_unique<Node>(nsB, kAddressB);
  }
  void TearDown() override {
    if (a) a->stop();
    if (b) b->stop();
  }

  /// Starts both nodes and installs each one's trap for the mesh.
  void startBothWithTraps() {
    ASSERT_TRUE(a->start());
    ASSERT_TRUE(b->start());
    ASSERT_TRUE(a->dataplane->installTrap(trapSpec(*a)).ok());
    ASSERT_TRUE(b->dataplane->installTrap(trapSpec(*b)).ok());
  }

  /// Runs posted work of both hosts until `done` or the deadline.
  template <typename Predicate>
  bool waitFor(Predicate done, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      a->host.runPosted();
      b->host.runPosted();
      if (done()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  std::string inA(const std::string& command, int* status = nullptr) {
    return run("ip netns exec " + nsA + " " + command, status);
  }

  /// Everything of ours visible in a namespace: rules, routes of our table, the device.
  std::string leftovers(const std::string& ns) {
    std::string found;
    for (const char* family : {"-4", "-6"}) {
      auto rules = run(std::string("ip ") + family + " -n " + ns + " rule show");
      std::istringstream lines(rules);
      for (std::string line; std::getline(lines, line);)
        if (line.rfind("4499:", 0) == 0 || line.rfind("4500:", 0) == 0 ||
            line.find("4500") != std::string::npos)
          found += "rule: " + line + "\n";
      auto routes = run(std::string("ip ") + family + " -n " + ns + " route show table all");
      std::istringstream routeLines(routes);
      for (std::string line; std::getline(routeLines, line);)
        if (line.find("table 4500") != std::string::npos || line.find("ikemesh0") != std::string::npos)
          found += "route: " + line + "\n";
    }
    if (run("ip -n " + ns + " link show").find("ikemesh0") != std::string::npos) found += "link ikemesh0\n";
    return found;
  }

  /// Pings B from A in tunnel or transport mode: the first packet makes an Acquire, is held,
  /// and is answered once the SAs are in; only ESP in UDP is on the wire.
  void pingThroughTheTunnel(IpsecMode mode) {
    ASSERT_TRUE(a->start());
    ASSERT_TRUE(b->start());
    auto trapA = a->dataplane->installTrap(trapSpec(*a));
    auto trapB = b->dataplane->installTrap(trapSpec(*b));
    ASSERT_TRUE(trapA.ok()) << trapA.error().message;
    ASSERT_TRUE(trapB.ok()) << trapB.error().message;

    const std::string capture = workDir + "/veth-a-" + std::to_string(static_cast<int>(mode)) + ".pcap";
    Background tcpdump({"ip", "netns", "exec", nsA, "tcpdump", "-q", "-n", "-U", "--immediate-mode", "-i",
                        "veth-a", "-w", capture});
    ASSERT_TRUE(waitFor([&] {
      struct stat st {};
      return ::stat(capture.c_str(), &st) == 0 && st.st_size >= 24;
    })) << "tcpdump did not start";

    // One echo request; ping waits up to 10 s for the answer.
    auto ping = std::async(std::launch::async, [&] {
      int status = -1;
      inA("ping -n -c 1 -W 10 192.0.2.2", &status);
      return status;
    });
    ASSERT_TRUE(waitFor([&] { return !a->events.acquires.empty(); })) << "no acquire for the first packet";
    const Acquire& acquire = a->events.acquires.front();
    EXPECT_EQ(acquire.trap, *trapA);
    EXPECT_EQ(acquire.source, kAddressA);
    EXPECT_EQ(acquire.destination, kAddressB);
    EXPECT_EQ(acquire.protocol, 1);  // ICMP
    EXPECT_EQ(a->dataplane->statistics().held, 1u);

    addSaPair(*a, *b, mode);
    EXPECT_EQ(ping.get(), 0) << "the held echo request was not answered; A: "
                             << describe(a->dataplane->statistics())
                             << "; B: " << describe(b->dataplane->statistics());
    EXPECT_EQ(a->events.acquires.size(), 1u);

    int status = -1;
    auto output = inA("ping -n -c 3 -i 0.2 -W 2 192.0.2.2", &status);
    EXPECT_EQ(status, 0) << output;
    tcpdump.stop();

    auto sent = a->dataplane->counters(SaRef{0x1000, kAddressB});
    ASSERT_TRUE(sent.ok()) << sent.error().message;
    EXPECT_EQ(sent->packets, 4u);
    auto received = a->dataplane->counters(SaRef{0x2000, kAddressA});
    ASSERT_TRUE(received.ok());
    EXPECT_EQ(received->packets, 4u);
    EXPECT_EQ(received->replayErrors, 0u);
    EXPECT_EQ(received->integrityErrors, 0u);

    // What left A on the wire: ESP in UDP 4500 (and ARP), nothing in the clear.
    auto clear = run("tcpdump -n -r " + capture + " 'not (udp port 4500) and not arp'");
    auto esp = run("tcpdump -n -r " + capture + " 'udp port 4500'");
    EXPECT_EQ(clear.find("ICMP"), std::string::npos) << clear;
    EXPECT_EQ(packetLines(clear), 0) << clear;
    EXPECT_GE(packetLines(esp), 8) << esp;  // 4 requests, 4 replies
  }

  /// Sends `bytes` random octets over TCP from a to b (`destination` as socat writes it:
  /// "192.0.2.2" or "[2001:db8:4500::2]") and expects them to arrive intact (SHA-256 of both
  /// files); returns the seconds the transfer took.
  double transferIntact(std::size_t bytes, const std::string& destination, bool v6 = false) {
    const std::string sent = workDir + "/bulk-sent.bin";
    const std::string received = workDir + "/bulk-received.bin";
    // Megabytes of random data are not worth keeping as artifacts of a failed run.
    struct RemoveFiles {
      std::vector<std::string> paths;
      ~RemoveFiles() {
        for (const auto& path : paths) std::remove(path.c_str());
      }
    } removeFiles{{sent, received}};
    int status = -1;
    run("head -c " + std::to_string(bytes) + " /dev/urandom > " + sent, &status);
    EXPECT_EQ(status, 0);
    const std::string listen = v6 ? "TCP6-LISTEN:5001,reuseaddr" : "TCP-LISTEN:5001,reuseaddr";
    Background listener(
        {"ip", "netns", "exec", nsB, "socat", "-u", listen, "OPEN:" + received + ",creat,trunc"});
    EXPECT_TRUE(waitFor([&] {
      return run("ip netns exec " + nsB + " ss -ltnH sport = :5001").find("5001") != std::string::npos;
    }));
    const auto start = std::chrono::steady_clock::now();
    auto output = inA("socat -u OPEN:" + sent + (v6 ? " TCP6:" : " TCP:") + destination + ":5001", &status);
    EXPECT_EQ(status, 0) << output;
    EXPECT_EQ(listener.wait(10s), 0);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(run("sha256sum < " + sent), run("sha256sum < " + received));
    return seconds;
  }

  std::string nsA, nsB, workDir;
  std::unique_ptr<Node> a, b;
};

TEST_F(KernelTunE2e, FirstPacketIsAcquiredHeldAndDeliveredThroughATunnelModeSa) {
  pingThroughTheTunnel(IpsecMode::Tunnel);
}

TEST_F(KernelTunE2e, PingFlowsThroughATransportModeSa) {
  pingThroughTheTunnel(IpsecMode::Transport);
}

TEST_F(KernelTunE2e, BulkTcpTransferArrivesIntact) {
  ASSERT_NO_FATAL_FAILURE(startBothWithTraps());
  addSaPair(*a, *b, IpsecMode::Tunnel);
  const double seconds = transferIntact(33554432, "192.0.2.2");
  std::printf("32 MiB over TCP through the tunnel in %.2f s: %.0f Mbit/s\n", seconds,
              32 * 8 * 1.048576 / seconds);
  auto inbound = b->dataplane->counters(SaRef{0x1000, kAddressB});
  ASSERT_TRUE(inbound.ok());
  EXPECT_EQ(inbound->integrityErrors, 0u);
  EXPECT_GT(inbound->bytes, 33554432u);
  // The offloads carried the transfer: TSO super-packets from a's TUN device, UDP GSO batches
  // out of a, GRO batches into b and coalesced writes to b's TUN device.
  const auto sender = a->dataplane->statistics();
  const auto receiver = b->dataplane->statistics();
  std::printf(
      "a: %llu TUN reads, %llu super-packets, %llu ESP sent (%llu in GSO batches); b: %llu ESP received "
      "(%llu in GRO buffers), %llu written coalesced\n",
      static_cast<unsigned long long>(sender.tunPacketsRead),
      static_cast<unsigned long long>(sender.tunSuperPackets),
      static_cast<unsigned long long>(sender.espSent), static_cast<unsigned long long>(sender.udpGsoSends),
      static_cast<unsigned long long>(receiver.espReceived),
      static_cast<unsigned long long>(receiver.udpGroReceives),
      static_cast<unsigned long long>(receiver.tunCoalesced));
  EXPECT_GT(sender.tunSuperPackets, 0u);
  EXPECT_GT(sender.udpGsoSends, 0u);
  EXPECT_GT(receiver.udpGroReceives, 0u);
  EXPECT_GT(receiver.tunCoalesced, 0u);
}

// In transport mode every datagram of a GRO buffer gets its IPv4 header back in the spent
// octets before its payload (its ESP header and IV, the previous datagram's trailer and ICV):
// nothing is copied aside, and what the coalescer already holds stays intact.
TEST_F(KernelTunE2e, TransportModeBulkTransferGetsItsHeadersBackInPlace) {
  ASSERT_NO_FATAL_FAILURE(startBothWithTraps());
  addSaPair(*a, *b, IpsecMode::Transport);
  transferIntact(33554432, "192.0.2.2");
  const auto receiver = b->dataplane->statistics();
  EXPECT_GT(receiver.udpGroReceives, 0u);
  EXPECT_GT(receiver.tunCoalesced, 0u);
  EXPECT_EQ(receiver.transportRelocated, 0u);
}

// UDP: a sender with UDP_SEGMENT hands a's TUN device bursts of 40 datagrams at once, which
// reach b in GRO buffers; with USO on b's device, b writes each burst's decrypted datagrams as
// one USO packet, and the kernel cuts it again for the receiving socket. Every datagram must
// arrive with its own length and content.
TEST_F(KernelTunE2e, UdpDatagramsOfOneFlowAreWrittenCoalescedAndArriveIntact) {
  ASSERT_NO_FATAL_FAILURE(startBothWithTraps());
  addSaPair(*a, *b, IpsecMode::Transport);
  const std::string receiverScript = workDir + "/udp-receiver.py";
  const std::string senderScript = workDir + "/udp-sender.py";
  const std::string ready = workDir + "/udp-receiver.ready";
  const std::string report = workDir + "/udp-receiver.out";
  std::ofstream(receiverScript) << R"(import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE
s.bind(("192.0.2.2", 5002))
open(sys.argv[1], "w").close()
s.settimeout(3)
seen, bad = set(), 0
try:
    while True:
        d = s.recv(65535)
        n = int.from_bytes(d[:4], "big")
        if len(d) != 1000 or d[4:] != bytes((n + i) % 256 for i in range(996)):
            bad += 1
        seen.add(n)
except socket.timeout:
    pass
open(sys.argv[2], "w").write("%d %d" % (len(seen), bad))
)";
  std::ofstream(senderScript) << R"(import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(17, 103, 1000)  # UDP_SEGMENT: the kernel cuts each send into 1000-octet datagrams
for burst in range(50):
    first = burst * 40
    s.sendto(b"".join(n.to_bytes(4, "big") + bytes((n + i) % 256 for i in range(996))
                      for n in range(first, first + 40)), ("192.0.2.2", 5002))
    time.sleep(0.005)
)";
  const std::string errors = workDir + "/udp-receiver.err";
  Background receiver({"sh", "-c",
                       "exec ip netns exec " + nsB + " python3 " + receiverScript + " " + ready + " " +
                           report + " 2>" + errors});
  ASSERT_TRUE(waitFor([&] { return ::access(ready.c_str(), F_OK) == 0; }))
      << "the receiver did not start: " << run("cat " + errors);
  int status = -1;
  auto output = inA("python3 " + senderScript, &status);
  ASSERT_EQ(status, 0) << output;
  ASSERT_EQ(receiver.wait(15s), 0) << run("cat " + errors);
  std::ifstream in(report);
  std::size_t arrived = 0, damaged = 0;
  in >> arrived >> damaged;
  EXPECT_EQ(arrived, 2000u);
  EXPECT_EQ(damaged, 0u);
  const auto sender = a->dataplane->statistics();
  const auto written = b->dataplane->statistics();
  std::printf(
      "a: %llu super-packets read; b: %llu ESP received (%llu in GRO buffers), %llu written coalesced\n",
      static_cast<unsigned long long>(sender.tunSuperPackets),
      static_cast<unsigned long long>(written.espReceived),
      static_cast<unsigned long long>(written.udpGroReceives),
      static_cast<unsigned long long>(written.tunCoalesced));
  ASSERT_NE(b->dataplane->deviceOffloads().find("uso4"), std::string::npos)
      << "this kernel refused USO on the TUN device (Linux 6.2 has it): " << b->dataplane->deviceOffloads();
  EXPECT_GT(written.udpGroReceives, 0u);
  EXPECT_GT(written.tunCoalesced, 0u);
}

TEST_F(KernelTunE2e, WithoutOffloadsEveryPacketGoesAloneAndArrivesIntact) {
  a->options.offloads = false;
  b->options.offloads = false;
  ASSERT_NO_FATAL_FAILURE(startBothWithTraps());
  addSaPair(*a, *b, IpsecMode::Transport);
  transferIntact(8388608, "192.0.2.2");
  const auto sender = a->dataplane->statistics();
  const auto receiver = b->dataplane->statistics();
  EXPECT_GT(sender.espSent, 8388608u / 1400u);
  EXPECT_EQ(sender.tunSuperPackets, 0u);
  EXPECT_EQ(sender.udpGsoSends, 0u);
  EXPECT_EQ(receiver.udpGroReceives, 0u);
  EXPECT_EQ(receiver.tunCoalesced, 0u);
  EXPECT_EQ(a->dataplane->deviceOffloads(), "none");
}

TEST_F(KernelTunE2e, Ipv6PingAndTcpTransferArriveIntactInBothModes) {
  a = std::make_unique<Node>(nsA, kAddressA6);
  b = std::make_unique<Node>(nsB, kAddressB6);
  for (const auto mode : {IpsecMode::Transport, IpsecMode::Tunnel}) {
    SCOPED_TRACE(mode == IpsecMode::Transport ? "transport mode" : "tunnel mode");
    ASSERT_NO_FATAL_FAILURE(startBothWithTraps());
    addSaPair(*a, *b, mode);
    int status = -1;
    auto output = inA("ping -6 -n -c 2 -i 0.2 -W 2 2001:db8:4500::2", &status);
    ASSERT_EQ(status, 0) << output;
    transferIntact(16777216, "[2001:db8:4500::2]", true);
    auto inbound = b->dataplane->counters(SaRef{0x1000, kAddressB6});
    ASSERT_TRUE(inbound.ok());
    EXPECT_GT(inbound->bytes, 16777216u);
    // TSO6 super-packets were cut on a, the segments coalesced again on b.
    EXPECT_GT(a->dataplane->statistics().tunSuperPackets, 0u);
    EXPECT_GT(b->dataplane->statistics().tunCoalesced, 0u);
    // An IPv6 header needs 40 octets; AES-GCM leaves 34 to 37 spent before a payload of a GRO
    // buffer, so those payloads were copied aside to get theirs.
    if (mode == IpsecMode::Transport) {
      EXPECT_GT(b->dataplane->statistics().udpGroReceives, 0u);
      EXPECT_GT(b->dataplane->statistics().transportRelocated, 0u);
    }
    a->stop();
    b->stop();
  }
}

TEST_F(KernelTunE2e, RekeyedSasTakeOverAndTheOldOnesGoWithoutAGap) {
  ASSERT_NO_FATAL_FAILURE(startBothWithTraps());
  addSaPair(*a, *b, IpsecMode::Tunnel);
  int status = -1;
  inA("ping -n -c 1 -W 2 192.0.2.2", &status);
  ASSERT_EQ(status, 0);
  // CREATE_CHILD_SA: the new pair is installed next to the old one, then the old one deleted.
  auto check = [](Result<void> r) { ASSERT_TRUE(r.ok()) << r.error().message; };
  const auto mode = IpsecMode::Tunnel;
  check(a->dataplane->addSa(saParams(0x4000, SaDirection::Inbound, kAddressB, kAddressA, mode, 0x44)));
  check(b->dataplane->addSa(saParams(0x3000, SaDirection::Inbound, kAddressA, kAddressB, mode, 0x33)));
  check(b->dataplane->addSa(saParams(0x4000, SaDirection::Outbound, kAddressB, kAddressA, mode, 0x44)));
  check(a->dataplane->addSa(saParams(0x3000, SaDirection::Outbound, kAddressA, kAddressB, mode, 0x33)));
  check(a->dataplane->deleteSa(SaRef{0x1000, kAddressB}));
  check(b->dataplane->deleteSa(SaRef{0x2000, kAddressA}));
  check(a->dataplane->deleteSa(SaRef{0x2000, kAddressA}));
  check(b->dataplane->deleteSa(SaRef{0x1000, kAddressB}));
  auto output = inA("ping -n -c 2 -i 0.2 -W 2 192.0.2.2", &status);
  EXPECT_EQ(status, 0) << output;
  auto sent = a->dataplane->counters(SaRef{0x3000, kAddressB});
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(sent->packets, 2u);
  EXPECT_FALSE(a->dataplane->counters(SaRef{0x1000, kAddressB}).ok());
  EXPECT_TRUE(a->events.acquires.empty());
  EXPECT_NE(inA("ip route show table 4500").find("192.0.2.2 dev ikemesh0"), std::string::npos);
}

TEST_F(KernelTunE2e, EspForAnAllocatedSpiWaitsForItsSa) {
  // The IKE_AUTH responder installs its SAs and may send at once (packets its own trap held),
  // before the initiator has processed the response and installed the inbound SA. Those
  // packets carry an SPI the initiator allocated: they are kept, and opened at addSa().
  ASSERT_NO_FATAL_FAILURE(startBothWithTraps());
  auto spi = b->dataplane->allocateSpi(kAddressA, kAddressB);
  ASSERT_TRUE(spi.ok()) << spi.error().message;
  auto check = [](Result<void> r) { ASSERT_TRUE(r.ok()) << r.error().message; };
  const auto mode = IpsecMode::Transport;
  check(a->dataplane->addSa(saParams(0x2000, SaDirection::Inbound, kAddressB, kAddressA, mode, 0x22)));
  check(a->dataplane->addSa(saParams(*spi, SaDirection::Outbound, kAddressA, kAddressB, mode, 0x11)));
  check(b->dataplane->addSa(saParams(0x2000, SaDirection::Outbound, kAddressB, kAddressA, mode, 0x22)));

  auto ping = std::async(std::launch::async, [&] {
    int status = -1;
    inA("ping -n -c 1 -W 10 192.0.2.2", &status);
    return status;
  });
  ASSERT_TRUE(waitFor([&] {
    auto sent = a->dataplane->counters(SaRef{*spi, kAddressB});
    return sent.ok() && sent->packets == 1;
  })) << "A did not send the echo request";
  std::this_thread::sleep_for(200ms);  // on B's side now, before its inbound SA exists
  EXPECT_EQ(b->dataplane->statistics().espReceived, 0u);

  check(b->dataplane->addSa(saParams(*spi, SaDirection::Inbound, kAddressA, kAddressB, mode, 0x11)));
  EXPECT_EQ(ping.get(), 0) << "the early echo request was lost; B: " << describe(b->dataplane->statistics());
  auto stats = b->dataplane->statistics();
  EXPECT_EQ(stats.espEarly, 1u);
  EXPECT_EQ(stats.espRejected, 0u);

  // An SPI nobody allocated is still rejected at once.
  check(a->dataplane->addSa(saParams(0x3000, SaDirection::Outbound, kAddressA, kAddressB, mode, 0x33)));
  int status = -1;
  inA("ping -n -c 1 -W 1 192.0.2.2", &status);
  EXPECT_NE(status, 0);
  EXPECT_TRUE(waitFor([&] { return b->dataplane->statistics().espRejected == 1u; }))
      << describe(b->dataplane->statistics());
}

TEST_F(KernelTunE2e, DestructionRemovesRulesRoutesAndDevice) {
  ASSERT_TRUE(a->start());
  ASSERT_TRUE(a->dataplane->installTrap(trapSpec(*a)).ok());
  ASSERT_TRUE(a->dataplane
                  ->installShunt({"clear", IpPrefix::host(kAddressA), *IpPrefix::parse("203.0.113.0/24")},
                                 ShuntAction::Drop)
                  .ok());
  ASSERT_TRUE(a->dataplane
                  ->installShunt({"clear", IpPrefix::host(kAddressA), *IpPrefix::parse("198.51.100.0/24")},
                                 ShuntAction::Pass)
                  .ok());
  ASSERT_TRUE(b->start());
  addSaPair(*a, *b, IpsecMode::Tunnel);
  const auto before = leftovers(nsA);
  EXPECT_NE(before.find("not from all fwmark 0x4500 lookup 4500"), std::string::npos) << before;
  EXPECT_NE(before.find("ipproto udp sport 500 lookup main"), std::string::npos) << before;
  EXPECT_NE(before.find("blackhole 203.0.113.0/24"), std::string::npos) << before;
  EXPECT_NE(before.find("throw 198.51.100.0/24"), std::string::npos) << before;
  EXPECT_NE(before.find("192.0.2.2 dev ikemesh0"), std::string::npos) << before;
  a->stop();
  EXPECT_EQ(leftovers(nsA), "");
}

TEST_F(KernelTunE2e, LeftoversOfACrashedInstanceAreRemovedAtStart) {
  // What a killed instance leaves (its device only if it was made persistent).
  for (const char* command :
       {"ip tuntap add dev ikemesh0 mode tun", "ip rule add pref 4500 not fwmark 0x4500 table 4500",
        "ip -6 rule add pref 4500 not fwmark 0x4500 table 4500",
        "ip rule add pref 4499 ipproto udp sport 4500 table main protocol 69",
        "ip route add blackhole 203.0.113.0/24 table 4500", "ip route add throw 198.51.100.7 table 4500"}) {
    int status = -1;
    auto output = inA(command, &status);
    ASSERT_EQ(status, 0) << command << ": " << output;
  }
  const auto staleIndex = inA("cat /sys/class/net/ikemesh0/ifindex");
  ASSERT_NE(leftovers(nsA), "");
  ASSERT_TRUE(a->start());
  const auto now = leftovers(nsA);
  EXPECT_EQ(now.find("203.0.113.0"), std::string::npos) << now;
  EXPECT_EQ(now.find("198.51.100.7"), std::string::npos) << now;
  auto rules = run("ip -4 -n " + nsA + " rule show");
  // local, main, default, and ours: the lookup of our table and the IKE/ESP-in-UDP bypasses
  EXPECT_EQ(std::count(rules.begin(), rules.end(), '\n'), 3 + 3) << rules;
  EXPECT_NE(inA("cat /sys/class/net/ikemesh0/ifindex"), staleIndex) << "the stale device was not replaced";
  a->stop();
  EXPECT_EQ(leftovers(nsA), "");
}

TEST_F(KernelTunE2e, PassShuntSendsInTheClearWithoutAcquire) {
  ASSERT_TRUE(a->start());
  ASSERT_TRUE(a->dataplane->installTrap(trapSpec(*a)).ok());
  auto pass = a->dataplane->installShunt({"clear", IpPrefix::host(kAddressA), IpPrefix::host(kAddressB)},
                                         ShuntAction::Pass);
  ASSERT_TRUE(pass.ok()) << pass.error().message;
  int status = -1;
  auto output = inA("ping -n -c 1 -W 2 192.0.2.2", &status);
  EXPECT_EQ(status, 0) << output;
  a->host.runPosted();
  EXPECT_TRUE(a->events.acquires.empty());
  // Removing the pass shunt brings the trap back for that peer.
  ASSERT_TRUE(a->dataplane->removePolicy(*pass).ok());
  auto ping = std::async(std::launch::async, [&] { return inA("ping -n -c 1 -W 1 192.0.2.2"); });
  EXPECT_TRUE(waitFor([&] { return !a->events.acquires.empty(); }));
  ping.get();
}

TEST_F(KernelTunE2e, DropShuntDiscardsAndHeldPacketsGoWithIt) {
  ASSERT_TRUE(a->start());
  ASSERT_TRUE(a->dataplane->installTrap(trapSpec(*a)).ok());
  auto ping = std::async(std::launch::async, [&] {
    int status = -1;
    inA("ping -n -c 1 -W 3 192.0.2.2", &status);
    return status;
  });
  ASSERT_TRUE(waitFor([&] { return !a->events.acquires.empty(); }));
  // The negotiation failed: the failure shunt for the pair drops (DESIGN.md §2 step 6).
  ASSERT_TRUE(
      a->dataplane
          ->installShunt({"private", IpPrefix::host(kAddressA), IpPrefix::host(kAddressB)}, ShuntAction::Drop)
          .ok());
  EXPECT_NE(ping.get(), 0);
  EXPECT_GE(a->dataplane->statistics().dropped, 1u);
  EXPECT_NE(inA("ip route show table 4500").find("blackhole 192.0.2.2"), std::string::npos);
}

TEST_F(KernelTunE2e, PacketLifetimesReportSoftThenHardExpiryAndTheTrapTakesOver) {
  ASSERT_NO_FATAL_FAILURE(startBothWithTraps());
  addSaPair(*a, *b, IpsecMode::Tunnel, [](SaParams& params) {
    if (params.direction != SaDirection::Outbound) return;
    params.soft.packets = 2;
    params.hard.packets = 3;
  });
  int status = -1;
  auto output = inA("ping -n -c 3 -i 0.2 -W 2 192.0.2.2", &status);
  EXPECT_EQ(status, 0) << output;
  ASSERT_TRUE(waitFor([&] { return a->events.expiries.size() == 2; }));
  const SaRef outbound{0x1000, kAddressB};
  EXPECT_EQ(a->events.expiries[0], std::pair(outbound, false));
  EXPECT_EQ(a->events.expiries[1], std::pair(outbound, true));
  EXPECT_FALSE(a->dataplane->counters(outbound).ok()) << "a hard-expired SA must be gone";
  EXPECT_EQ(inA("ip route show table 4500").find("192.0.2.2 dev"), std::string::npos);
  // The next packet hits the trap again.
  auto ping = std::async(std::launch::async, [&] { return inA("ping -n -c 1 -W 1 192.0.2.2"); });
  EXPECT_TRUE(waitFor([&] { return !a->events.acquires.empty(); }));
  ping.get();
}

TEST_F(KernelTunE2e, TimeLifetimeIsReportedByTheHostTimer) {
  ASSERT_TRUE(a->start());
  ASSERT_TRUE(b->start());
  addSaPair(*a, *b, IpsecMode::Tunnel, [](SaParams& params) { params.soft.time = std::chrono::seconds(1); });
  std::this_thread::sleep_for(1100ms);
  a->host.fireTimers();
  ASSERT_TRUE(waitFor([&] { return a->events.expiries.size() == 2; }));
  for (const auto& [ref, hard] : a->events.expiries) EXPECT_FALSE(hard);
  EXPECT_TRUE(a->dataplane->counters(SaRef{0x1000, kAddressB}).ok()) << "a soft expiry keeps the SA";
}

TEST_F(KernelTunE2e, IkeFromAnUnmarkedSocketLeavesInTheClearWithoutAcquire) {
  ASSERT_TRUE(a->start());
  ASSERT_TRUE(a->dataplane->installTrap(trapSpec(*a)).ok());
  // B listens on UDP 500 (no dataplane there); A's "core" sends from an unmarked socket.
  UniqueFd listener, sender;
  {
    InNamespace inside(nsB);
    ASSERT_TRUE(inside.entered());
    listener.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in bound{};
    bound.sin_family = AF_INET;
    bound.sin_port = htons(500);
    ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&bound), sizeof bound), 0);
  }
  {
    InNamespace inside(nsA);
    ASSERT_TRUE(inside.entered());
    sender.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  }
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(500);
  std::memcpy(&to.sin_addr, kAddressB.data(), 4);
  const char message[] = "IKE_SA_INIT";
  ASSERT_EQ(::sendto(sender.get(), message, sizeof message, 0, reinterpret_cast<sockaddr*>(&to), sizeof to),
            static_cast<ssize_t>(sizeof message));
  ASSERT_TRUE(waitFor([&] {
    char buffer[64];
    return ::recv(listener.get(), buffer, sizeof buffer, MSG_DONTWAIT) ==
           static_cast<ssize_t>(sizeof message);
  })) << "the IKE packet did not arrive";
  EXPECT_TRUE(a->events.acquires.empty());
  EXPECT_EQ(a->dataplane->statistics().passed, 1u);
}

TEST_F(KernelTunE2e, StrictReversePathFilterIsWarnedAbout) {
  int status = -1;
  inA("sysctl -qw net.ipv4.conf.all.rp_filter=1", &status);
  ASSERT_EQ(status, 0);
  const bool started = a->start();
  inA("sysctl -qw net.ipv4.conf.all.rp_filter=0");
  ASSERT_TRUE(started);
  const auto lines = a->host.lines();
  EXPECT_TRUE(std::any_of(lines.begin(), lines.end(), [](const std::string& line) {
    return line.find("rp_filter is 1") != std::string::npos;
  }));
}

TEST_F(KernelTunE2e, IkeMessagesOnPort4500GoToTheIkeReceiver) {
  ASSERT_TRUE(a->start());
  ASSERT_TRUE(b->start());
  // B's core sends an IKE message with the non-ESP marker on its 4500 socket.
  const std::uint8_t message[] = {0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44, 0x55};
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(4500);
  std::memcpy(&to.sin_addr, kAddressA.data(), 4);
  ASSERT_EQ(
      ::sendto(b->socket.get(), message, sizeof message, 0, reinterpret_cast<sockaddr*>(&to), sizeof to),
      static_cast<ssize_t>(sizeof message));
  ASSERT_TRUE(waitFor([&] { return a->ike.count() == 1; }));
  const auto& received = a->ike.messages.front();
  EXPECT_EQ(received.bytes, (std::vector<std::uint8_t>{0x11, 0x22, 0x33, 0x44, 0x55}));
  EXPECT_EQ(received.from, kAddressB);
  EXPECT_EQ(received.fromPort, 4500);
  EXPECT_EQ(received.to, kAddressA);
  EXPECT_EQ(received.toPort, 4500);
}

}  // namespace
