// SPDX-License-Identifier: GPL-2.0-or-later
#include "policy/ConfigLoader.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace ikemesh::policy {

namespace {

// The settings that apply to one conn, by canonical key, each pointing at the line it was
// written on.
using EffectiveSettings = std::map<std::string, const ConfigSetting*>;

struct Resolver {
  const std::map<std::string, const ConfigSection*>& connsByName;
  std::vector<ConfigError>& errors;
  std::set<std::string> reportedLines;
  // A cycle is reported once (where it is first found), not once per conn on it.
  std::set<std::set<std::string>> reportedCycles;

  void report(const SourceLocation& where, std::string reason) {
    if (reportedLines.insert(where.toString()).second) errors.push_back({where, std::move(reason)});
  }

  // Own settings first, then each also= target in order (recursively); the first value of a
  // key wins. `chain` holds the conns being resolved, to name a cycle.
  void collect(const ConfigSection& section, EffectiveSettings& out, std::vector<std::string>& chain) {
    for (const auto& setting : section.settings) {
      if (setting.key != "also") out.emplace(setting.key, &setting);
    }
    for (const auto& setting : section.settings) {
      if (setting.key != "also" || setting.value.empty()) continue;
      if (std::find(chain.begin(), chain.end(), setting.value) != chain.end()) {
        std::string path;
        auto start = std::find(chain.begin(), chain.end(), setting.value);
        for (auto it = start; it != chain.end(); ++it) path += *it + " -> ";
        if (reportedCycles.insert(std::set<std::string>(start, chain.end())).second)
          report(setting.where, "also= cycle: " + path + setting.value);
        continue;
      }
      auto target = connsByName.find(setting.value);
      if (target == connsByName.end()) {
        report(setting.where, "also=" + setting.value + ": there is no conn '" + setting.value + "'");
        continue;
      }
      chain.push_back(setting.value);
      collect(*target->second, out, chain);
      chain.pop_back();
    }
  }
};

Shunt shuntFrom(std::string_view text) {
  if (text == "passthrough") return Shunt::Passthrough;
  if (text == "drop") return Shunt::Drop;
  if (text == "hold") return Shunt::Hold;
  if (text == "reject") return Shunt::Reject;
  return Shunt::None;
}

DataplaneChoice dataplaneFrom(std::string_view text) {
  if (text == "xfrm") return DataplaneChoice::Xfrm;
  if (text == "tun") return DataplaneChoice::Tun;
  return DataplaneChoice::Auto;
}

Endpoint endpointFrom(const std::string& text) {
  Endpoint endpoint;
  endpoint.text = text;
  if (text == "%defaultroute")
    endpoint.kind = Endpoint::Kind::DefaultRoute;
  else if (text == "%any")
    endpoint.kind = Endpoint::Kind::Any;
  else if (text == "%group")
    endpoint.kind = Endpoint::Kind::Group;
  else if (text == "%opportunisticgroup")
    endpoint.kind = Endpoint::Kind::OpportunisticGroup;
  else if (text == "%opportunistic")
    endpoint.kind = Endpoint::Kind::Opportunistic;
  else if (auto address = IpAddress::parse(text)) {
    endpoint.kind = Endpoint::Kind::Address;
    endpoint.address = *address;
  } else {
    endpoint.kind = Endpoint::Kind::Hostname;
  }
  return endpoint;
}

std::vector<IpPrefix> prefixesFrom(std::string_view text) {
  std::vector<IpPrefix> prefixes;
  for (auto item : splitList(text, ',')) {
    if (auto prefix = parsePrefix(item)) prefixes.push_back(*prefix);
  }
  return prefixes;
}

std::chrono::milliseconds durationFrom(std::string_view text, PlainDurationUnit plain) {
  return parseDuration(text, plain).value_or(std::chrono::milliseconds(0));
}

std::vector<std::string> listFrom(std::string_view text) {
  std::vector<std::string> items;
  std::string current;
  for (char c : text) {
    if (c == ',' || c == ' ' || c == '\t') {
      if (!current.empty()) items.push_back(std::move(current));
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) items.push_back(std::move(current));
  return items;
}

// Values were checked by the parser; this only converts them.
Connection connectionFrom(const ConfigSection& section, const EffectiveSettings& effective,
                          const SetupConfig& setup) {
  Connection c;
  c.name = section.name;
  c.where = section.where;
  for (const auto& [key, setting] : effective) {
    if (!setting->value.empty()) c.settings.emplace(key, setting->value);
  }
  auto get = [&](const char* key) -> const std::string* {
    auto it = c.settings.find(key);
    return it == c.settings.end() ? nullptr : &it->second;
  };
  if (auto v = get("auto")) {
    if (*v == "add")
      c.autoAction = AutoAction::Add;
    else if (*v == "start")
      c.autoAction = AutoAction::Start;
    else if (*v == "ondemand" || *v == "route")
      c.autoAction = AutoAction::OnDemand;
    else
      c.autoAction = AutoAction::Ignore;
  }
  if (auto v = get("type")) {
    if (*v == "transport")
      c.type = ConnectionType::Transport;
    else if (*v == "passthrough")
      c.type = ConnectionType::Passthrough;
    else if (*v == "drop")
      c.type = ConnectionType::Drop;
    else if (*v == "reject")
      c.type = ConnectionType::Reject;
    else
      c.type = ConnectionType::Tunnel;
  }
  if (auto v = get("authby")) {
    c.authBy.clear();
    for (const auto& item : listFrom(*v)) c.authBy.push_back(item);
  }
  if (auto v = get("leftauth")) c.leftAuth = *v;
  if (auto v = get("rightauth")) c.rightAuth = *v;
  if (auto v = get("left")) c.left = endpointFrom(*v);
  if (auto v = get("right")) c.right = endpointFrom(*v);
  if (auto v = get("leftid")) c.leftId = *v;
  if (auto v = get("rightid")) c.rightId = *v;
  if (auto v = get("leftcert")) c.leftCert = *v;
  if (auto v = get("rightcert")) c.rightCert = *v;
  if (auto v = get("leftrsasigkey")) c.leftRsaSigKey = *v;
  if (auto v = get("rightrsasigkey")) c.rightRsaSigKey = *v;
  if (auto v = get("leftsubnet")) c.leftSubnets = prefixesFrom(*v);
  if (auto v = get("rightsubnet")) c.rightSubnets = prefixesFrom(*v);
  if (auto v = get("failureshunt")) c.failureShunt = shuntFrom(*v);
  if (auto v = get("negotiationshunt")) c.negotiationShunt = shuntFrom(*v);
  if (auto v = get("ike")) c.ikeProposals = parseProposals(*v, "ike").value();
  if (auto v = get("esp")) c.espProposals = parseProposals(*v, "esp").value();
  if (auto v = get("ikelifetime")) c.ikeLifetime = durationFrom(*v, PlainDurationUnit::Seconds);
  if (auto v = get("ipsec-lifetime")) c.ipsecLifetime = durationFrom(*v, PlainDurationUnit::Seconds);
  if (auto v = get("rekeymargin")) c.rekeyMargin = durationFrom(*v, PlainDurationUnit::Seconds);
  if (auto v = get("rekeyfuzz")) c.rekeyFuzzPercent = parsePercent(*v).value_or(100);
  if (auto v = get("dpddelay")) c.dpdDelay = durationFrom(*v, PlainDurationUnit::Seconds);
  if (auto v = get("dpdtimeout")) c.dpdTimeout = durationFrom(*v, PlainDurationUnit::Seconds);
  if (auto v = get("retransmit-interval"))
    c.retransmitInterval = durationFrom(*v, PlainDurationUnit::Milliseconds);
  if (auto v = get("retransmit-timeout")) c.retransmitTimeout = durationFrom(*v, PlainDurationUnit::Seconds);
  if (auto v = get("shuntlifetime")) c.shuntLifetime = durationFrom(*v, PlainDurationUnit::Seconds);
  if (auto v = get("inactivity")) c.inactivity = durationFrom(*v, PlainDurationUnit::Seconds);
  if (auto v = get("fragmentation"))
    c.fragmentation = *v == "no"      ? Fragmentation::No
                      : *v == "force" ? Fragmentation::Force
                                      : Fragmentation::Yes;
  if (auto v = get("encapsulation"))
    c.encapsulation = *v == "yes" ? Encapsulation::Yes : *v == "no" ? Encapsulation::No : Encapsulation::Auto;
  if (auto v = get("keyingtries"))
    c.keyingTries = *v == "%forever" ? 0 : static_cast<int>(parseUnsigned(*v, 0x7fffffff).value_or(0));
  if (auto v = get("priority")) c.priority = static_cast<int>(parseUnsigned(*v, 0x7fffffff).value_or(0));
  if (auto v = get("narrowing")) c.narrowing = parseYesNo(*v).value_or(false);
  if (auto v = get("pfs")) c.pfs = parseYesNo(*v).value_or(true);
  if (auto v = get("childless")) c.childless = parseYesNo(*v).value_or(false);

  if (auto v = get("dataplane")) {
    c.dataplane = dataplaneFrom(*v);
    c.dataplaneValue = *v;
  } else if (auto it = setup.settings.find("dataplane"); it != setup.settings.end()) {
    c.dataplane = setup.dataplane;
    c.dataplaneValue = it->second;
  } else if (auto it = setup.settings.find("protostack"); it != setup.settings.end()) {
    c.dataplane = setup.dataplane;
    c.dataplaneKey = "protostack";
    c.dataplaneValue = it->second;
  }
  return c;
}

SetupConfig setupFrom(const std::vector<const ConfigSection*>& sections, const std::string& mainFile,
                      std::vector<ConfigError>& errors) {
  SetupConfig setup;
  setup.where = sections.empty() ? SourceLocation{mainFile, 0} : sections.front()->where;
  std::map<std::string, const ConfigSetting*> seen;
  for (const ConfigSection* section : sections) {
    for (const auto& setting : section->settings) {
      auto [it, inserted] = seen.emplace(setting.key, &setting);
      if (!inserted) {
        errors.push_back({setting.where, "'" + setting.writtenKey +
                                             "' is set twice in config setup (first at " +
                                             it->second->where.toString() + ")"});
        continue;
      }
      if (!setting.value.empty()) setup.settings.emplace(setting.key, setting.value);
    }
  }
  auto get = [&](const char* key) -> const std::string* {
    auto it = setup.settings.find(key);
    return it == setup.settings.end() ? nullptr : &it->second;
  };
  if (auto v = get("logfile")) setup.logFile = *v;
  if (auto v = get("plutodebug")) setup.plutoDebug = listFrom(*v);
  if (auto v = get("dnssec-enable")) setup.dnssecEnable = parseYesNo(*v).value_or(true);
  if (auto v = get("dnssec-anchors")) setup.dnssecAnchors = *v;
  if (auto v = get("ddos-mode")) setup.ddosMode = *v;
  if (get("protostack")) setup.dataplane = DataplaneChoice::Xfrm;  // xfrm and netkey are both XFRM
  if (auto v = get("dataplane")) setup.dataplane = dataplaneFrom(*v);
  return setup;
}

}  // namespace

ConfigLoader::ConfigLoader(const ConfigSchema& schema, ParseOptions options)
    : schema_(schema), options_(options) {}

ConfigResult<Config> ConfigLoader::loadFile(const std::string& path) const {
  auto parsed = ConfigParser(schema_, options_).parseFile(path);
  if (!parsed) return parsed.errors();
  return build(*parsed);
}

ConfigResult<Config> ConfigLoader::loadText(std::string_view text, const std::string& fileName) const {
  auto parsed = ConfigParser(schema_, options_).parseText(text, fileName);
  if (!parsed) return parsed.errors();
  return build(*parsed);
}

ConfigResult<Config> ConfigLoader::build(const ParsedConfig& parsed) const {
  std::vector<ConfigError> errors;
  Config config;
  config.files = parsed.files;
  config.mainFile = parsed.files.empty() ? std::string() : parsed.files.front();

  std::vector<const ConfigSection*> setupSections;
  ConfigSection defaults;  // every `conn %default` merged
  defaults.name = "%default";
  std::map<std::string, const ConfigSection*> connsByName;
  std::vector<const ConfigSection*> conns;
  for (const auto& section : parsed.sections) {
    if (section.kind == ConfigSection::Kind::Setup) {
      setupSections.push_back(&section);
    } else if (section.name == "%default") {
      for (const auto& setting : section.settings) {
        const ConfigSetting* first = setting.key == "also" ? nullptr : defaults.find(setting.key);
        if (first != nullptr) {
          errors.push_back({setting.where, "'" + setting.writtenKey +
                                               "' is set twice in conn '%default' (first at " +
                                               first->where.toString() + ")"});
          continue;
        }
        if (setting.key == "also") {
          errors.push_back({setting.where, "also= is not allowed in conn %default"});
          continue;
        }
        defaults.settings.push_back(setting);
      }
    } else {
      auto [it, inserted] = connsByName.emplace(section.name, &section);
      if (!inserted) {
        errors.push_back({section.where, "duplicate conn '" + section.name + "' (first defined at " +
                                             it->second->where.toString() + ")"});
        continue;
      }
      conns.push_back(&section);
    }
  }

  config.setup = setupFrom(setupSections, config.mainFile, errors);

  Resolver resolver{connsByName, errors, {}, {}};
  for (const ConfigSection* section : conns) {
    EffectiveSettings effective;
    std::vector<std::string> chain{section->name};
    resolver.collect(*section, effective, chain);
    for (const auto& setting : defaults.settings) effective.emplace(setting.key, &setting);

    Connection connection = connectionFrom(*section, effective, config.setup);
    if (connection.autoAction != AutoAction::Ignore) {
      for (const char* side : {"left", "right"}) {
        if (!connection.settings.contains(side)) {
          errors.push_back({section->where, "conn '" + section->name + "' has no " + side +
                                                "= (every conn except auto=ignore needs left= and right=)"});
        }
      }
    }
    // Keys from DNS are only ever used DNSSEC-validated (auth-dnssec): a conn that asks for
    // them where DNSSEC is off could never authenticate anyone; say so now, not at the first peer.
    for (const std::string key : {"leftrsasigkey", "rightrsasigkey"}) {
      auto it = effective.find(key);
      if (it == effective.end() || (it->second->value != "%dnsondemand" && it->second->value != "%dns"))
        continue;
      if (!config.setup.dnssecEnable)
        errors.push_back({it->second->where, key + "=" + it->second->value + " in conn '" + section->name +
                                                 "' needs DNSSEC-validated keys, but config setup has "
                                                 "dnssec-enable=no"});
    }
    config.connections.push_back(std::move(connection));
  }

  if (!errors.empty()) {
    std::stable_sort(errors.begin(), errors.end(), [&](const ConfigError& a, const ConfigError& b) {
      auto fileIndex = [&](const std::string& file) {
        return std::find(parsed.files.begin(), parsed.files.end(), file) - parsed.files.begin();
      };
      auto ia = fileIndex(a.where.file), ib = fileIndex(b.where.file);
      return ia != ib ? ia < ib : a.where.line < b.where.line;
    });
    return errors;
  }
  return config;
}

}  // namespace ikemesh::policy
