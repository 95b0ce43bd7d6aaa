// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include "TempFolder.hpp"
#include "policy/ConfigParser.hpp"

namespace ikemesh::policy {
namespace {

const ConfigSchema& schema() {
  static const ConfigSchema standard = ConfigSchema::standard();
  return standard;
}

ConfigResult<ParsedConfig> parse(std::string_view text, const std::string& name = "ipsec.conf") {
  return ConfigParser(schema(), ParseOptions{.followIncludes = false}).parseText(text, name);
}

// The first error of a text that must not parse, as "FILE:LINE: reason".
std::string firstError(std::string_view text) {
  auto parsed = parse(text);
  if (parsed) return "(parsed without error)";
  return parsed.firstError().toString();
}

std::string valueOf(const ParsedConfig& parsed, std::size_t section, std::string_view key) {
  const ConfigSetting* setting = parsed.sections.at(section).find(key);
  return setting ? setting->value : "(unset)";
}

TEST(ConfigParser, TabsAndSpacesBothIndentSettings) {
  auto parsed = parse("conn a\n\tauto=add\n    type=transport\n \t left=192.0.2.1\n");
  ASSERT_TRUE(parsed) << parsed.toError().message;
  ASSERT_EQ(parsed->sections.size(), 1u);
  EXPECT_EQ(valueOf(*parsed, 0, "auto"), "add");
  EXPECT_EQ(valueOf(*parsed, 0, "type"), "transport");
  EXPECT_EQ(valueOf(*parsed, 0, "left"), "192.0.2.1");
}

TEST(ConfigParser, SettingsRecordTheirLine) {
  auto parsed = parse("\n# header\nconn a\n\n\tauto=add\n", "x.conf");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->sections[0].where, (SourceLocation{"x.conf", 3}));
  EXPECT_EQ(parsed->sections[0].settings[0].where, (SourceLocation{"x.conf", 5}));
}

TEST(ConfigParser, QuotedValuesKeepTheirSpaces) {
  auto parsed = parse("conn a\n\trightid=\"C=CA, O=Example, CN=node1\"\n\tleftid=\"@node2\"   # ours\n");
  ASSERT_TRUE(parsed) << parsed.toError().message;
  EXPECT_EQ(valueOf(*parsed, 0, "rightid"), "C=CA, O=Example, CN=node1");
  EXPECT_EQ(valueOf(*parsed, 0, "leftid"), "@node2");
}

TEST(ConfigParser, CommentsAtLineStartAndAfterValues) {
  auto parsed = parse("# top\nconn a # the conn\n\t# inside\n\tauto=add # trailing\n\tleftid=@#0a1b\n");
  ASSERT_TRUE(parsed) << parsed.toError().message;
  EXPECT_EQ(parsed->sections[0].name, "a");
  EXPECT_EQ(valueOf(*parsed, 0, "auto"), "add");
  EXPECT_EQ(valueOf(*parsed, 0, "leftid"), "@#0a1b");  // a '#' inside a word is not a comment
}

TEST(ConfigParser, SpacesAroundTheEqualsSign) {
  auto parsed = parse("conn a\n\tauto = add\n\ttype= tunnel\n");
  ASSERT_TRUE(parsed) << parsed.toError().message;
  EXPECT_EQ(valueOf(*parsed, 0, "auto"), "add");
  EXPECT_EQ(valueOf(*parsed, 0, "type"), "tunnel");
}

TEST(ConfigParser, VersionLineAndConfigSetupAndDefault) {
  auto parsed = parse(
      "version 2.0\n\nconfig setup\n\tlogfile=/var/log/ikemesh.log\n\nconn %default\n\tikelifetime=1h\n");
  ASSERT_TRUE(parsed) << parsed.toError().message;
  ASSERT_EQ(parsed->sections.size(), 2u);
  EXPECT_EQ(parsed->sections[0].kind, ConfigSection::Kind::Setup);
  EXPECT_EQ(parsed->sections[1].name, "%default");
  EXPECT_EQ(valueOf(*parsed, 1, "ikelifetime"), "1h");
}

TEST(ConfigParser, AliasesAreStoredUnderTheCanonicalKey) {
  auto parsed = parse("conn a\n\tsalifetime=1h\n");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->sections[0].settings[0].key, "ipsec-lifetime");
  EXPECT_EQ(parsed->sections[0].settings[0].writtenKey, "salifetime");
}

TEST(ConfigParser, UserKeysStartingWithXDashAreKeptUnchecked) {
  auto parsed = parse("conn a\n\tx-owner=ops team\n");
  EXPECT_FALSE(parsed);  // still one value per key
  auto quoted = parse("conn a\n\tx-owner=\"ops team\"\n");
  ASSERT_TRUE(quoted);
  EXPECT_EQ(valueOf(*quoted, 0, "x-owner"), "ops team");
}

TEST(ConfigParser, EmptyValueIsKeptAsUnset) {
  auto parsed = parse("conn a\n\tikelifetime=\n");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(valueOf(*parsed, 0, "ikelifetime"), "");
}

TEST(ConfigParser, AlsoMayBeRepeated) {
  auto parsed = parse("conn a\n\talso=b\n\talso=c\n");
  ASSERT_TRUE(parsed) << parsed.toError().message;
  EXPECT_EQ(parsed->sections[0].settings.size(), 2u);
}

// One test per error class, with its file:line.

TEST(ConfigParserErrors, UnknownKeyInConn) {
  EXPECT_EQ(firstError("conn x\n\tauto=add\n\tfoo=bar\n"), "ipsec.conf:3: unknown key 'foo' in conn 'x'");
}

TEST(ConfigParserErrors, UnknownKeyInConfigSetup) {
  EXPECT_EQ(firstError("config setup\n\tfoo=bar\n"), "ipsec.conf:2: unknown key 'foo' in config setup");
}

TEST(ConfigParserErrors, ConnKeyInConfigSetup) {
  EXPECT_EQ(firstError("config setup\n\tauto=add\n"),
            "ipsec.conf:2: key 'auto' belongs in a conn section, not in config setup");
}

TEST(ConfigParserErrors, SetupKeyInConn) {
  EXPECT_EQ(firstError("conn x\n\tlogfile=/tmp/log\n"),
            "ipsec.conf:2: key 'logfile' belongs in config setup, not in conn 'x'");
}

TEST(ConfigParserErrors, BadEnumValue) {
  EXPECT_EQ(firstError("conn x\n\tfragmentation=maybe\n"),
            "ipsec.conf:2: bad value 'maybe' for fragmentation: expected one of yes, no, force");
  EXPECT_EQ(firstError("conn x\n\tnegotiationshunt=reject\n"),
            "ipsec.conf:2: bad value 'reject' for negotiationshunt: expected one of passthrough, hold, drop");
}

TEST(ConfigParserErrors, BadEnumListItem) {
  EXPECT_EQ(
      firstError("conn x\n\tauthby=rsasig,psk\n"),
      "ipsec.conf:2: bad value 'psk' in authby=rsasig,psk: expected one or more of rsasig, ecdsa, rsa-sha2, "
      "null, secret, never");
}

TEST(ConfigParserErrors, BadYesNo) {
  EXPECT_EQ(firstError("conn x\n\tnarrowing=true\n"),
            "ipsec.conf:2: bad value 'true' for narrowing: expected yes or no");
}

TEST(ConfigParserErrors, BadInteger) {
  EXPECT_EQ(firstError("conn x\n\tpriority=-3\n"),
            "ipsec.conf:2: bad value '-3' for priority: expected a non-negative integer");
  EXPECT_EQ(firstError("conn x\n\tkeyingtries=often\n"),
            "ipsec.conf:2: bad value 'often' for keyingtries: expected a number of tries or %forever");
}

TEST(ConfigParserErrors, BadDuration) {
  EXPECT_EQ(firstError("conn x\n\tikelifetime=8 hours\n").substr(0, 37),
            "ipsec.conf:2: ikelifetime=8 hours: un");
  EXPECT_EQ(firstError("conn x\n\tikelifetime=8hours\n"),
            "ipsec.conf:2: bad value '8hours' for ikelifetime: expected a duration such as 3600, 30s, 9m, 8h "
            "or 1d");
  EXPECT_EQ(firstError("conn x\n\tretransmit-interval=fast\n"),
            "ipsec.conf:2: bad value 'fast' for retransmit-interval: expected a duration such as 500ms, 500 "
            "(milliseconds) or 2s");
}

TEST(ConfigParserErrors, BadPercent) {
  EXPECT_EQ(firstError("conn x\n\trekeyfuzz=lots\n"),
            "ipsec.conf:2: bad value 'lots' for rekeyfuzz: expected a percentage such as 100%");
}

TEST(ConfigParserErrors, BadAddress) {
  EXPECT_EQ(firstError("conn x\n\tleft=10.0.0.256\n"),
            "ipsec.conf:2: bad value '10.0.0.256' for left: expected an address, a host name, or one of "
            "%defaultroute, %any, %group, %opportunisticgroup, %opportunistic");
  EXPECT_EQ(firstError("conn x\n\tright=%anywhere\n").substr(0, 48),
            "ipsec.conf:2: bad value '%anywhere' for right: e");
}

TEST(ConfigParserErrors, BadIdentity) {
  EXPECT_EQ(
      firstError("conn x\n\tleftid=%fromkey\n"),
      "ipsec.conf:2: bad value '%fromkey' for leftid: expected one of %fromcert, %null, %any, @fqdn, an "
      "address, or a quoted DN such as \"CN=node1\"");
}

TEST(ConfigParserErrors, BadRawKey) {
  EXPECT_EQ(
      firstError("conn x\n\trightrsasigkey=%ldap\n"),
      "ipsec.conf:2: bad value '%ldap' for rightrsasigkey: expected one of %cert, %dnsondemand, %dns, or a "
      "raw key 0s<base64> / 0x<hex>");
  EXPECT_TRUE(parse("conn x\n\trightrsasigkey=0sAwEAAbcd+/==\n\tleftrsasigkey=0x03010001ab\n"));
}

TEST(ConfigParserErrors, BadCidr) {
  EXPECT_EQ(
      firstError("conn x\n\tleftsubnet=10.0.0.0/8,10.1.2.3/16\n"),
      "ipsec.conf:2: bad CIDR '10.1.2.3/16' in leftsubnet: host bits are set (did you mean 10.1.0.0/16?)");
  EXPECT_EQ(firstError("conn x\n\trightsubnet=10.0.0.0/8,,10.2.0.0/16\n"),
            "ipsec.conf:2: empty CIDR in rightsubnet=10.0.0.0/8,,10.2.0.0/16");
}

TEST(ConfigParserErrors, BadProposal) {
  EXPECT_EQ(firstError("conn x\n\tike=aes256-sha1-modp2048\n"),
            "ipsec.conf:2: unknown algorithm 'sha1' in ike=aes256-sha1-modp2048");
}

TEST(ConfigParserErrors, IkeV1IsRefused) {
  EXPECT_EQ(
      firstError("conn x\n\tikev2=no\n"),
      "ipsec.conf:2: ikev2=no: ikemesh speaks IKEv2 only (IKEv1 is not supported); use ikev2=insist or leave "
      "the key out");
  EXPECT_EQ(firstError("conn x\n\tikev2=sometimes\n"),
            "ipsec.conf:2: bad value 'sometimes' for ikev2: expected one of insist, yes, permit, propose");
}

TEST(ConfigParserErrors, KeySetTwiceInOneSection) {
  EXPECT_EQ(firstError("conn x\n\tauto=add\n\ttype=tunnel\n\tauto=start\n"),
            "ipsec.conf:4: 'auto' is set twice in conn 'x' (first at ipsec.conf:2)");
}

TEST(ConfigParserErrors, AliasSetTwiceNamesBothSpellings) {
  EXPECT_EQ(firstError("conn x\n\tsalifetime=1h\n\tkeylife=2h\n"),
            "ipsec.conf:3: 'keylife' is set twice in conn 'x' (first as 'salifetime' at ipsec.conf:2)");
}

TEST(ConfigParserErrors, FootnoteNumberAfterTheValue) {
  EXPECT_EQ(
      firstError("conn clear\n\tauto=ondemand 1\n"),
      "ipsec.conf:2: auto=ondemand 1: unexpected '1' after the value (a footnote number pasted from the "
      "guide?)");
}

TEST(ConfigParserErrors, WordsAfterAnUnquotedValue) {
  EXPECT_EQ(firstError("conn x\n\trightid=CN=node one\n"),
            "ipsec.conf:2: rightid=CN=node one: unexpected 'one' after the value (put the value in double "
            "quotes if "
            "it contains spaces)");
  EXPECT_EQ(firstError("conn x\n\trightid=\"CN=node\" one\n"),
            "ipsec.conf:2: rightid=\"CN=node\" one: unexpected 'one' after the value");
}

TEST(ConfigParserErrors, UnterminatedQuote) {
  EXPECT_EQ(firstError("conn x\n\trightid=\"CN=node\n"),
            "ipsec.conf:2: rightid=: the value's closing '\"' is missing");
}

TEST(ConfigParserErrors, SettingOutsideOfAnySection) {
  EXPECT_EQ(firstError("\tauto=add\n"),
            "ipsec.conf:1: 'auto=add': a setting outside of any section (no 'conn NAME' or 'config setup' "
            "above it)");
}

TEST(ConfigParserErrors, UnindentedSetting) {
  EXPECT_EQ(firstError("conn x\nauto=add\n"),
            "ipsec.conf:2: 'auto=add': a setting must be indented (with tabs or spaces) under 'conn NAME' or "
            "'config setup'");
}

TEST(ConfigParserErrors, UnexpectedWordAtTheMargin) {
  EXPECT_EQ(
      firstError("connection x\n"),
      "ipsec.conf:1: unexpected 'connection' at the start of a line; expected 'conn NAME', 'config setup', "
      "'include FILE' or 'version 2'");
}

TEST(ConfigParserErrors, BadSectionHeaders) {
  EXPECT_EQ(firstError("conn a b\n\tauto=add\n"),
            "ipsec.conf:1: 'conn a b': expected 'conn NAME' with one name (letters, digits, '-', '_', '.')");
  EXPECT_EQ(firstError("config pluto\n"),
            "ipsec.conf:1: 'config pluto': the only config section is 'config setup'");
  EXPECT_EQ(firstError("version 3\n"), "ipsec.conf:1: 'version 3': only 'version 2' is known");
  EXPECT_EQ(firstError("conn\n"),
            "ipsec.conf:1: 'conn': expected 'conn NAME' with one name (letters, digits, '-', '_', '.')");
}

TEST(ConfigParserErrors, BrokenHeaderDoesNotCascade) {
  auto parsed = parse("conn a b\n\tauto=add\n\ttype=tunnel\n");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.errors().size(), 1u);
}

TEST(ConfigParserErrors, EveryBrokenLineIsReported) {
  auto parsed = parse("conn x\n\tfoo=1\n\tauto=sometimes\n\tleft=%defaultroute\n\tikelifetime=soon\n");
  ASSERT_FALSE(parsed);
  ASSERT_EQ(parsed.errors().size(), 3u);
  EXPECT_EQ(parsed.errors()[0].where.line, 2);
  EXPECT_EQ(parsed.errors()[1].where.line, 3);
  EXPECT_EQ(parsed.errors()[2].where.line, 5);
}

TEST(ConfigParserErrors, IncludeRefusedWhenDisabled) {
  EXPECT_EQ(firstError("include /etc/*.conf\n"),
            "ipsec.conf:1: include /etc/*.conf: includes are disabled for this parse");
}

TEST(ConfigParserInclude, GlobIsRelativeToTheIncludingFile) {
  test::TempFolder folder;
  folder.write("etc/ipsec.d/b.conf", "conn b\n\tauto=add\n");
  folder.write("etc/ipsec.d/a.conf", "conn a\n\tauto=add\n");
  folder.write("etc/ipsec.d/notes.txt", "not a config\n");
  auto main = folder.write("etc/ipsec.conf", "config setup\n\tlogfile=/tmp/x\ninclude ipsec.d/*.conf\n");
  auto parsed = ConfigParser(schema()).parseFile(main);
  ASSERT_TRUE(parsed) << parsed.toError().message;
  ASSERT_EQ(parsed->sections.size(), 3u);
  EXPECT_EQ(parsed->sections[1].name, "a");  // glob order is sorted
  EXPECT_EQ(parsed->sections[2].name, "b");
  EXPECT_EQ(parsed->sections[2].where, (SourceLocation{folder.path("etc/ipsec.d/b.conf"), 1}));
  EXPECT_EQ(parsed->files.size(), 3u);
}

TEST(ConfigParserInclude, NestedIncludeIsRelativeToItsOwnFile) {
  test::TempFolder folder;
  folder.write("conf/sub/deep.conf", "conn deep\n\tauto=add\n");
  folder.write("conf/sub/mid.conf", "include deep.conf\n");
  auto main = folder.write("conf/main.conf", "include sub/mid.conf\n");
  auto parsed = ConfigParser(schema()).parseFile(main);
  ASSERT_TRUE(parsed) << parsed.toError().message;
  ASSERT_EQ(parsed->sections.size(), 1u);
  EXPECT_EQ(parsed->sections[0].name, "deep");
}

TEST(ConfigParserInclude, GlobMatchingNothingIsFine) {
  test::TempFolder folder;
  auto main = folder.write("ipsec.conf", "include ipsec.d/*.conf\n");
  EXPECT_TRUE(ConfigParser(schema()).parseFile(main));
}

TEST(ConfigParserInclude, MissingPlainFileIsAnError) {
  test::TempFolder folder;
  auto main = folder.write("ipsec.conf", "\ninclude mesh.conf\n");
  auto parsed = ConfigParser(schema()).parseFile(main);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.firstError().toString(),
            main + ":2: include mesh.conf: no such file '" + folder.path("mesh.conf") + "'");
}

TEST(ConfigParserInclude, ErrorsInIncludedFilesNameThatFile) {
  test::TempFolder folder;
  auto included = folder.write("mesh.conf", "conn a\n\tauto=ondemand 1\n");
  auto main = folder.write("ipsec.conf", "include mesh.conf\n");
  auto parsed = ConfigParser(schema()).parseFile(main);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.firstError().where, (SourceLocation{included, 2}));
}

TEST(ConfigParserInclude, IncludeLoopIsDetected) {
  test::TempFolder folder;
  folder.write("b.conf", "include a.conf\n");
  auto main = folder.write("a.conf", "include b.conf\n");
  auto parsed = ConfigParser(schema()).parseFile(main);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.firstError().toString(), folder.path("b.conf") + ":1: include a.conf: '" +
                                                folder.path("a.conf") +
                                                "' is already being read (an include loop)");
}

TEST(ConfigParserInclude, UnreadableMainFile) {
  test::TempFolder folder;
  auto parsed = ConfigParser(schema()).parseFile(folder.path("missing.conf"));
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.firstError().toString(), folder.path("missing.conf") + ": cannot read '" +
                                                folder.path("missing.conf") + "': No such file or directory");
}

}  // namespace
}  // namespace ikemesh::policy
