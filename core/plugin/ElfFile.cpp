// SPDX-License-Identifier: GPL-2.0-or-later
#include "plugin/ElfFile.hpp"

#include <elf.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace ikemesh {
namespace {

#if defined(__x86_64__)
constexpr std::uint16_t kNativeMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr std::uint16_t kNativeMachine = EM_AARCH64;
#elif defined(__riscv) && __riscv_xlen == 64
constexpr std::uint16_t kNativeMachine = EM_RISCV;
#elif defined(__powerpc64__)
constexpr std::uint16_t kNativeMachine = EM_PPC64;
#elif defined(__s390x__)
constexpr std::uint16_t kNativeMachine = EM_S390;
#else
#error "ikemesh: add this machine's ELF e_machine value"
#endif

constexpr std::size_t kMaxFileSize = 512u << 20;

bool inBounds(std::uint64_t offset, std::uint64_t size, std::size_t total) {
  return offset <= total && size <= total - offset;
}

template <typename T>
T readStruct(const std::vector<std::uint8_t>& bytes, std::uint64_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

// A NUL-terminated string at `offset` inside the string table section [start, start+size).
std::optional<std::string> stringAt(const std::vector<std::uint8_t>& bytes, std::uint64_t start,
                                    std::uint64_t size, std::uint64_t offset) {
  if (offset >= size) return std::nullopt;
  auto begin = bytes.begin() + static_cast<std::ptrdiff_t>(start + offset);
  auto end = bytes.begin() + static_cast<std::ptrdiff_t>(start + size);
  auto nul = std::find(begin, end, 0);
  if (nul == end) return std::nullopt;
  return std::string(begin, nul);
}

}  // namespace

Result<ElfFile> ElfFile::open(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(std::string("cannot open: ") + std::strerror(errno));
  in.seekg(0, std::ios::end);
  auto size = static_cast<std::size_t>(in.tellg());
  if (size > kMaxFileSize) return fail("file too large for a plugin (" + std::to_string(size) + " bytes)");
  in.seekg(0);
  std::vector<std::uint8_t> bytes(size);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size)))
    return fail("cannot read the file");
  return parse(std::move(bytes));
}

Result<ElfFile> ElfFile::parse(std::vector<std::uint8_t> bytes) {
  if (bytes.size() < EI_NIDENT || std::memcmp(bytes.data(), ELFMAG, SELFMAG) != 0)
    return fail("not a shared object (no ELF header)");
  if (bytes[EI_CLASS] != ELFCLASS64) return fail("not a shared object for this machine (not 64-bit ELF)");
  if (bytes[EI_DATA] != (std::endian::native == std::endian::little ? ELFDATA2LSB : ELFDATA2MSB))
    return fail("not a shared object for this machine (other byte order)");
  if (bytes.size() < sizeof(Elf64_Ehdr)) return fail("not a shared object (truncated ELF header)");
  auto header = readStruct<Elf64_Ehdr>(bytes, 0);
  if (header.e_type != ET_DYN)
    return fail("not a shared object (ELF type " + std::to_string(header.e_type) + ", expected ET_DYN)");
  if (header.e_machine != kNativeMachine)
    return fail("built for another machine (ELF machine " + std::to_string(header.e_machine) + ", this is " +
                std::to_string(kNativeMachine) + ")");
  if (header.e_shentsize != sizeof(Elf64_Shdr))
    return fail("malformed ELF file (section header size " + std::to_string(header.e_shentsize) + ")");

  std::uint64_t count = header.e_shnum;
  std::uint32_t namesIndex = header.e_shstrndx;
  if (header.e_shoff == 0) return fail("malformed ELF file (no section headers)");
  if (!inBounds(header.e_shoff, sizeof(Elf64_Shdr), bytes.size()))
    return fail("malformed ELF file (section headers beyond the end)");
  auto first = readStruct<Elf64_Shdr>(bytes, header.e_shoff);
  if (count == 0) count = first.sh_size;  // more than SHN_LORESERVE sections
  if (namesIndex == SHN_XINDEX) namesIndex = first.sh_link;
  if (count > bytes.size() / sizeof(Elf64_Shdr) ||
      !inBounds(header.e_shoff, count * sizeof(Elf64_Shdr), bytes.size()))
    return fail("malformed ELF file (section headers beyond the end)");
  if (namesIndex >= count) return fail("malformed ELF file (section name table index)");

  std::vector<Elf64_Shdr> raw(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    raw[i] = readStruct<Elf64_Shdr>(bytes, header.e_shoff + i * sizeof(Elf64_Shdr));
    if (raw[i].sh_type != SHT_NOBITS && !inBounds(raw[i].sh_offset, raw[i].sh_size, bytes.size()))
      return fail("malformed ELF file (section " + std::to_string(i) + " beyond the end)");
  }

  ElfFile elf;
  const auto& names = raw[namesIndex];
  for (const auto& s : raw) {
    auto name = stringAt(bytes, names.sh_offset, names.sh_type == SHT_NOBITS ? 0 : names.sh_size, s.sh_name);
    bool empty = s.sh_type == SHT_NOBITS;
    elf.sections_.push_back(
        {name.value_or(""), s.sh_type, empty ? 0 : s.sh_offset, empty ? 0 : s.sh_size, s.sh_link});
  }

  for (const auto& s : elf.sections_) {
    if (s.type != SHT_DYNSYM) continue;
    if (s.link >= elf.sections_.size()) return fail("malformed ELF file (.dynsym string table index)");
    const auto& strings = elf.sections_[s.link];
    for (std::uint64_t off = 0; off + sizeof(Elf64_Sym) <= s.size; off += sizeof(Elf64_Sym)) {
      auto sym = readStruct<Elf64_Sym>(bytes, s.offset + off);
      auto binding = ELF64_ST_BIND(sym.st_info);
      if (sym.st_shndx == SHN_UNDEF || ELF64_ST_TYPE(sym.st_info) != STT_FUNC) continue;
      if (binding != STB_GLOBAL && binding != STB_WEAK) continue;
      if (auto name = stringAt(bytes, strings.offset, strings.size, sym.st_name))
        elf.functions_.push_back(std::move(*name));
    }
  }
  elf.bytes_ = std::move(bytes);
  return elf;
}

std::optional<std::span<const std::uint8_t>> ElfFile::section(std::string_view name) const {
  for (const auto& s : sections_)
    if (s.name == name) return std::span<const std::uint8_t>(bytes_.data() + s.offset, s.size);
  return std::nullopt;
}

bool ElfFile::definesFunction(std::string_view name) const {
  return std::find(functions_.begin(), functions_.end(), name) != functions_.end();
}

}  // namespace ikemesh
