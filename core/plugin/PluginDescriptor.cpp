// SPDX-License-Identifier: GPL-2.0-or-later
#include "plugin/PluginDescriptor.hpp"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>

#include <algorithm>
#include <charconv>
#include <regex>
#include <string_view>

namespace ikemesh {
namespace {

bool isPluginName(const std::string& s) {
  static const std::regex pattern("[a-z0-9][a-z0-9-]{0,62}");
  return std::regex_match(s, pattern);
}

bool isFeatureName(const std::string& s) {
  static const std::regex pattern("[a-z0-9-]+(\\.[a-z0-9-]+)+");
  return std::regex_match(s, pattern);
}

bool isKeyName(const std::string& s) {
  static const std::regex pattern("[a-z][a-z0-9_-]{0,63}");
  return std::regex_match(s, pattern);
}

Result<std::vector<std::string>> stringList(const QJsonObject& object, const char* field,
                                            bool (*valid)(const std::string&)) {
  std::vector<std::string> out;
  auto value = object.value(QLatin1String(field));
  if (value.isUndefined()) return out;
  if (!value.isArray()) return fail(std::string("\"") + field + "\" must be an array of strings");
  for (const auto& item : value.toArray()) {
    if (!item.isString()) return fail(std::string("\"") + field + "\" must be an array of strings");
    auto text = item.toString().toStdString();
    if (!valid(text)) return fail(std::string("\"") + field + "\": invalid name '" + text + "'");
    out.push_back(std::move(text));
  }
  return out;
}

Result<OptionDeclaration> parseOption(const QJsonValue& value, std::size_t index) {
  auto where = "\"options\"[" + std::to_string(index) + "]";
  if (!value.isObject()) return fail(where + " must be an object");
  auto object = value.toObject();
  OptionDeclaration option;
  option.key = object.value("key").toString().toStdString();
  if (!isKeyName(option.key)) return fail(where + ".key: invalid key name '" + option.key + "'");
  option.type = object.value("type").toString("string").toStdString();
  static const std::vector<std::string> types{"string", "int", "bool", "enum", "duration", "path", "address"};
  if (std::find(types.begin(), types.end(), option.type) == types.end())
    return fail(where + ".type: unknown type '" + option.type + "'");
  auto values = stringList(object, "values", [](const std::string& s) { return !s.empty(); });
  if (!values) return fail(where + "." + values.error().message);
  option.values = std::move(*values);
  if (option.type == "enum" && option.values.empty()) return fail(where + ": an enum needs \"values\"");
  if (object.contains("default")) {
    auto d = object.value("default");
    if (!d.isString()) return fail(where + ".default must be a string");
    option.defaultValue = d.toString().toStdString();
  }
  option.doc = object.value("doc").toString().toStdString();
  option.scope = object.value("scope").toString("conn").toStdString();
  if (option.scope != "conn" && option.scope != "setup")
    return fail(where + ".scope: must be \"conn\" or \"setup\"");
  return option;
}

}  // namespace

std::string PluginDescriptor::factorySymbol() const {
  std::string symbol = "ikemesh_plugin_" + name;
  std::replace(symbol.begin(), symbol.end(), '-', '_');
  return symbol;
}

Result<PluginDescriptor> parsePluginDescriptor(std::span<const std::uint8_t> section) {
  std::string_view text(reinterpret_cast<const char*>(section.data()), section.size());
  while (!text.empty() && text.back() == '\0') text.remove_suffix(1);
  if (!text.starts_with(kDescriptorMagic)) return fail("descriptor section without the magic line");
  text.remove_prefix(kDescriptorMagic.size());

  auto eol = text.find('\n');
  if (eol == std::string_view::npos || !text.starts_with("abi "))
    return fail("descriptor without an ABI line");
  auto abi = text.substr(4, eol - 4);
  text.remove_prefix(eol + 1);
  PluginDescriptor d;
  auto dot = abi.find('.');
  if (dot == std::string_view::npos) return fail("malformed ABI version '" + std::string(abi) + "'");
  auto [p1, e1] = std::from_chars(abi.data(), abi.data() + dot, d.abiMajor);
  auto [p2, e2] = std::from_chars(abi.data() + dot + 1, abi.data() + abi.size(), d.abiMinor);
  if (e1 != std::errc() || e2 != std::errc() || p1 != abi.data() + dot || p2 != abi.data() + abi.size())
    return fail("malformed ABI version '" + std::string(abi) + "'");

  QJsonParseError error{};
  auto json = QJsonDocument::fromJson(QByteArray(text.data(), static_cast<qsizetype>(text.size())), &error);
  if (error.error != QJsonParseError::NoError)
    return fail("descriptor is not valid JSON: " + error.errorString().toStdString() + " at offset " +
                std::to_string(error.offset));
  if (!json.isObject()) return fail("descriptor is not a JSON object");
  auto object = json.object();

  d.name = object.value("name").toString().toStdString();
  if (!isPluginName(d.name)) return fail("descriptor \"name\" missing or invalid: '" + d.name + "'");
  d.version = object.value("version").toString().toStdString();
  if (d.version.empty()) return fail("descriptor \"version\" missing");
  d.description = object.value("description").toString().toStdString();
  auto provides = stringList(object, "provides", isFeatureName);
  if (!provides) return fail("descriptor " + provides.error().message);
  d.provides = std::move(*provides);
  auto depends = stringList(object, "depends", isFeatureName);
  if (!depends) return fail("descriptor " + depends.error().message);
  d.depends = std::move(*depends);
  auto options = object.value("options");
  if (!options.isUndefined() && !options.isArray()) return fail("descriptor \"options\" must be an array");
  std::size_t index = 0;
  for (const auto& item : options.toArray()) {
    auto option = parseOption(item, index++);
    if (!option) return fail("descriptor " + option.error().message);
    d.options.push_back(std::move(*option));
  }
  return d;
}

}  // namespace ikemesh
