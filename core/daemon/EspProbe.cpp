// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/EspProbe.hpp"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/utsname.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "daemon/LocalAddresses.hpp"
#include "util/UniqueFd.hpp"

namespace ikemesh {

namespace {

constexpr std::uint32_t kProbeSpi = 0x4500fffe;  // on 127.0.0.1, where no peer has SAs

bool espModulePresent() {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists("/sys/module/esp4", ec)) return true;
  utsname name{};
  if (::uname(&name) != 0) return false;
  std::string release = name.release;
  for (const char* dir : {"/lib/modules/", "/usr/lib/modules/"}) {
    std::ifstream modules(std::string(dir) + release + "/modules.builtin");
    std::string line;
    while (std::getline(modules, line))
      if (line.ends_with("/esp4.ko")) return true;
    for (const char* suffix : {".ko", ".ko.xz", ".ko.zst", ".ko.gz"})
      if (fs::exists(std::string(dir) + release + "/kernel/net/ipv4/esp4" + suffix, ec)) return true;
  }
  return false;
}

/// Appends one netlink attribute (RFC 3549 §2.3.2).
void addAttribute(std::vector<std::uint8_t>& message, std::uint16_t type, const void* data,
                  std::size_t length) {
  nlattr attribute{static_cast<std::uint16_t>(NLA_HDRLEN + length), type};
  const auto* header = reinterpret_cast<const std::uint8_t*>(&attribute);
  message.insert(message.end(), header, header + sizeof attribute);
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  message.insert(message.end(), bytes, bytes + length);
  message.resize(NLA_ALIGN(message.size()), 0);
}

/// Sends one request with NLM_F_ACK and returns the errno of the answer (0 = done).
int request(int fd, std::uint16_t type, const void* fixed, std::size_t fixedLength,
            const std::vector<std::uint8_t>& attributes) {
  std::vector<std::uint8_t> message(NLMSG_HDRLEN, 0);
  const auto* bytes = static_cast<const std::uint8_t*>(fixed);
  message.insert(message.end(), bytes, bytes + fixedLength);
  message.resize(NLMSG_ALIGN(message.size()), 0);
  message.insert(message.end(), attributes.begin(), attributes.end());
  nlmsghdr header{static_cast<std::uint32_t>(message.size()), type, NLM_F_REQUEST | NLM_F_ACK, 1, 0};
  std::memcpy(message.data(), &header, sizeof header);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd, message.data(), message.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) <
      0)
    return errno;
  std::array<std::uint8_t, 4096> reply{};
  ssize_t n = ::recv(fd, reply.data(), reply.size(), 0);
  if (n < 0) return errno;
  if (static_cast<std::size_t>(n) < NLMSG_HDRLEN + sizeof(nlmsgerr)) return EPROTO;
  nlmsghdr answer;
  std::memcpy(&answer, reply.data(), sizeof answer);
  if (answer.nlmsg_type != NLMSG_ERROR) return EPROTO;
  nlmsgerr error;
  std::memcpy(&error, reply.data() + NLMSG_HDRLEN, sizeof error);
  return -error.error;
}

EspProbeResult probe() {
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_XFRM));
  if (!fd) {
    bool module = espModulePresent();
    return {module, std::string("no NETLINK_XFRM socket (") + std::strerror(errno) +
                        "); the esp4 module is " + (module ? "present" : "absent")};
  }
  xfrm_usersa_info info{};
  info.family = AF_INET;
  info.id.daddr.a4 = htonl(INADDR_LOOPBACK);
  info.saddr.a4 = htonl(INADDR_LOOPBACK);
  info.id.spi = htonl(kProbeSpi);
  info.id.proto = IPPROTO_ESP;
  info.mode = XFRM_MODE_TRANSPORT;
  info.lft.soft_byte_limit = info.lft.hard_byte_limit = XFRM_INF;
  info.lft.soft_packet_limit = info.lft.hard_packet_limit = XFRM_INF;
  std::vector<std::uint8_t> aead(sizeof(xfrm_algo_aead) + 20, 0);
  xfrm_algo_aead algorithm{};
  std::strncpy(algorithm.alg_name, "rfc4106(gcm(aes))", sizeof algorithm.alg_name - 1);
  algorithm.alg_key_len = 160;  // AES-128 and the 4-octet salt (RFC 4106 §8.1)
  algorithm.alg_icv_len = 128;
  std::memcpy(aead.data(), &algorithm, sizeof algorithm);
  std::vector<std::uint8_t> attributes;
  addAttribute(attributes, XFRMA_ALG_AEAD, aead.data(), aead.size());
  const int added = request(fd.get(), XFRM_MSG_NEWSA, &info, sizeof info, attributes);
  if (added == EPERM) {
    bool module = espModulePresent();
    return {module, std::string("no permission to install a test state; the esp4 module is ") +
                        (module ? "present" : "absent")};
  }
  if (added != 0 && added != EEXIST)
    return {false, std::string("the kernel refused a test ESP state: ") + std::strerror(added)};
  xfrm_usersa_id id{};
  id.daddr = info.id.daddr;
  id.spi = info.id.spi;
  id.family = AF_INET;
  id.proto = IPPROTO_ESP;
  (void)request(fd.get(), XFRM_MSG_DELSA, &id, sizeof id, {});
  return {true, "installed and removed a test ESP state"};
}

}  // namespace

const EspProbeResult& probeKernelEsp() {
  static const EspProbeResult result = probe();
  return result;
}

bool kernelHasEsp() {
  return probeKernelEsp().canInstallEsp;
}

}  // namespace ikemesh
