// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include <ikemesh/testkit/FakeHost.hpp>
#include "plugin/PluginLoader.hpp"

using namespace ikemesh;
namespace fs = std::filesystem;

namespace {

// A plugin directory holding only the chosen fixtures (symlinks), removed afterwards.
class PluginDir {
 public:
  explicit PluginDir(std::initializer_list<const char*> names) {
    char tmpl[] = "/tmp/ikemesh-plugins-XXXXXX";
    path_ = ::mkdtemp(tmpl);
    for (const char* name : names)
      fs::create_symlink(std::string(FIXTURE_DIR) + "/ikemesh-" + name + ".so",
                         path_ + "/ikemesh-" + name + ".so");
  }
  ~PluginDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class LoaderTest : public ::testing::Test {
 protected:
  LoaderTest() {
    logger.addSink([this](LogLevel, std::string_view tag, std::string_view text) {
      log.push_back(std::string(tag) + ": " + std::string(text));
    });
  }

  std::unique_ptr<PluginLoader> makeLoader() {
    return std::make_unique<PluginLoader>(logger, [this](const PluginDescriptor& d) {
      return std::unique_ptr<Host>(std::make_unique<testkit::FakeHost>(d.name, &lifecycle));
    });
  }

  std::map<std::string, const PluginRecord*> byName(const PluginLoader& loader) {
    std::map<std::string, const PluginRecord*> out;
    for (const auto& r : loader.records()) out[r.name] = &r;
    return out;
  }

  // Loads exactly `names` and returns the one record of `name`.
  PluginRecord only(std::initializer_list<const char*> names, const std::string& name) {
    PluginDir dir(names);
    auto loader = makeLoader();
    loader->load({dir.path()});
    auto records = byName(*loader);
    EXPECT_TRUE(records.count(name));
    return records.count(name) ? *records[name] : PluginRecord{};
  }

  bool logged(const std::string& needle) const {
    for (const auto& line : log)
      if (line.find(needle) != std::string::npos) return true;
    return false;
  }

  Logger logger;
  std::vector<std::string> log;
  std::vector<std::string> lifecycle;
};

}  // namespace

TEST_F(LoaderTest, LoadsAPluginAndFindsItsFeature) {
  PluginDir dir{"alpha"};
  auto loader = makeLoader();
  loader->load({dir.path()});
  ASSERT_EQ(loader->records().size(), 1u);
  EXPECT_EQ(loader->records()[0].verdict, PluginRecord::Verdict::Loaded);
  EXPECT_NE(loader->provider("test.alpha"), nullptr);
  EXPECT_EQ(loader->provider("test.beta"), nullptr);
  EXPECT_EQ(loader->loadedFeatures(), std::vector<std::string>{"test.alpha"});
  EXPECT_EQ(lifecycle, std::vector<std::string>{"alpha: constructed alpha"});
}

TEST_F(LoaderTest, LoadsInDependencyOrderAndUnloadsInReverse) {
  // File order is alpha, beta, gamma; the directory order below lists them reversed on purpose.
  PluginDir first{"gamma"};
  PluginDir second{"beta", "alpha"};
  auto loader = makeLoader();
  loader->load({first.path(), second.path()});
  auto records = byName(*loader);
  EXPECT_EQ(records["alpha"]->loadOrder, 0);
  EXPECT_EQ(records["beta"]->loadOrder, 1);
  EXPECT_EQ(records["gamma"]->loadOrder, 2);
  loader->unloadAll();
  EXPECT_EQ(lifecycle, (std::vector<std::string>{"alpha: constructed alpha", "beta: constructed beta",
                                                 "gamma: constructed gamma", "gamma: destroyed gamma",
                                                 "beta: destroyed beta", "alpha: destroyed alpha"}));
}

TEST_F(LoaderTest, RefusesAFileThatIsNotASharedObject) {
  auto r = only({"not-elf", "alpha"}, "not-elf");
  EXPECT_EQ(r.verdict, PluginRecord::Verdict::Rejected);
  EXPECT_EQ(r.reason, "not a shared object (no ELF header)");
  EXPECT_TRUE(logged("plugin 'not-elf': rejected - not a shared object"));
  EXPECT_TRUE(logged("ikemesh-not-elf.so"));
  EXPECT_TRUE(logged("1 plugin(s) loaded, 1 rejected"));
}

TEST_F(LoaderTest, RefusesAPluginWithoutDescriptor) {
  auto r = only({"no-descriptor"}, "no-descriptor");
  EXPECT_EQ(r.verdict, PluginRecord::Verdict::Rejected);
  EXPECT_NE(r.reason.find("no descriptor"), std::string::npos);
  EXPECT_TRUE(lifecycle.empty()) << "no code of the plugin may run";
}

TEST_F(LoaderTest, RefusesAPluginWithoutFactoryBeforeLoadingIt) {
  auto r = only({"no-factory"}, "no-factory");
  EXPECT_EQ(r.verdict, PluginRecord::Verdict::Rejected);
  EXPECT_EQ(r.reason, "no factory: the file does not export ikemesh_plugin_no_factory()");
}

TEST_F(LoaderTest, RefusesAnotherAbiMajor) {
  auto r = only({"abi-major"}, "abi-major");
  EXPECT_EQ(r.verdict, PluginRecord::Verdict::Rejected);
  EXPECT_EQ(r.reason, "SDK ABI 99.0 is incompatible: this daemon has ABI " + std::to_string(kSdkAbiMajor) +
                          "." + std::to_string(kSdkAbiMinor) + " (major versions must match)");
  EXPECT_TRUE(lifecycle.empty());
}

TEST_F(LoaderTest, RefusesANewerAbiMinor) {
  auto r = only({"abi-minor"}, "abi-minor");
  EXPECT_EQ(r.verdict, PluginRecord::Verdict::Rejected);
  EXPECT_NE(r.reason.find("is newer than this daemon's ABI"), std::string::npos);
  EXPECT_TRUE(lifecycle.empty());
}

TEST_F(LoaderTest, RefusesTheSecondProviderOfAFeatureNamingBothFiles) {
  auto r = only({"alpha", "dup-alpha"}, "dup-alpha");
  EXPECT_EQ(r.verdict, PluginRecord::Verdict::Rejected);
  EXPECT_NE(r.reason.find("'test.alpha' is provided by both"), std::string::npos);
  EXPECT_NE(r.reason.find("ikemesh-alpha.so (kept)"), std::string::npos);
  EXPECT_NE(r.reason.find("ikemesh-dup-alpha.so"), std::string::npos);
  EXPECT_EQ(lifecycle, (std::vector<std::string>{"alpha: constructed alpha", "alpha: destroyed alpha"}));
}

TEST_F(LoaderTest, RefusesAnUnmetDependency) {
  auto r = only({"unmet"}, "unmet");
  EXPECT_EQ(r.verdict, PluginRecord::Verdict::Rejected);
  EXPECT_EQ(r.reason, "unmet dependency: no loaded plugin provides 'test.missing'");
}

TEST_F(LoaderTest, RefusesDependentsOfARefusedPluginTransitively) {
  PluginDir dir{"beta", "gamma"};  // beta needs alpha, which is absent; gamma needs beta
  auto loader = makeLoader();
  loader->load({dir.path()});
  auto records = byName(*loader);
  EXPECT_EQ(records["beta"]->verdict, PluginRecord::Verdict::Rejected);
  EXPECT_EQ(records["gamma"]->verdict, PluginRecord::Verdict::Rejected);
  EXPECT_NE(records["gamma"]->reason.find("test.beta"), std::string::npos);
  EXPECT_TRUE(lifecycle.empty());
}

TEST_F(LoaderTest, RefusesADependencyCycle) {
  PluginDir dir{"cycle-a", "cycle-b", "alpha"};
  auto loader = makeLoader();
  loader->load({dir.path()});
  auto records = byName(*loader);
  EXPECT_EQ(records["cycle-a"]->verdict, PluginRecord::Verdict::Rejected);
  EXPECT_EQ(records["cycle-b"]->verdict, PluginRecord::Verdict::Rejected);
  EXPECT_NE(records["cycle-a"]->reason.find("dependency cycle: cycle-a -> cycle-b -> cycle-a"),
            std::string::npos);
  EXPECT_EQ(records["alpha"]->verdict, PluginRecord::Verdict::Loaded);
}

TEST_F(LoaderTest, CatchesAFactoryThatThrows) {
  PluginDir dir{"throws", "after-throws", "alpha"};
  auto loader = makeLoader();
  loader->load({dir.path()});
  auto records = byName(*loader);
  EXPECT_EQ(records["throws"]->verdict, PluginRecord::Verdict::Rejected);
  EXPECT_EQ(records["throws"]->reason, "initialisation failed: factory threw: fixture: the factory throws");
  EXPECT_EQ(records["after-throws"]->verdict, PluginRecord::Verdict::Rejected);
  EXPECT_EQ(records["after-throws"]->reason, "depends on 'test.throws', which failed to load");
  EXPECT_EQ(records["alpha"]->verdict, PluginRecord::Verdict::Loaded);
  EXPECT_EQ(loader->provider("test.throws"), nullptr);
}

TEST_F(LoaderTest, ReportsAConstructorThatFails) {
  auto r = only({"init-fails"}, "init-fails");
  EXPECT_EQ(r.verdict, PluginRecord::Verdict::Rejected);
  EXPECT_EQ(r.reason, "initialisation failed: fixture: cannot open /dev/fixture");
}

TEST_F(LoaderTest, RefusesAFileNamedForAnotherPlugin) {
  auto r = only({"alpha", "wrong-name"}, "wrong-name");
  EXPECT_EQ(r.verdict, PluginRecord::Verdict::Rejected);
  EXPECT_EQ(r.reason, "descriptor names the plugin 'alpha' but the file is named for 'wrong-name'");
}

TEST_F(LoaderTest, IgnoresFilesNotNamedLikePlugins) {
  PluginDir dir{"alpha"};
  fs::copy_file(std::string(FIXTURE_DIR) + "/ikemesh-beta.so", dir.path() + "/libsomething.so");
  auto loader = makeLoader();
  loader->load({dir.path()});
  EXPECT_EQ(loader->records().size(), 1u);
}

TEST_F(LoaderTest, KeepsTheRestWhenEveryKindOfRefusalHappensAtOnce) {
  auto loader = makeLoader();
  loader->load({FIXTURE_DIR});
  auto records = byName(*loader);
  std::vector<std::string> loaded;
  for (const auto& [name, r] : records)
    if (r->verdict == PluginRecord::Verdict::Loaded) loaded.push_back(name);
  EXPECT_EQ(loaded, (std::vector<std::string>{"alpha", "beta", "gamma"}));
  for (const auto& [name, r] : records)
    if (r->verdict == PluginRecord::Verdict::Rejected) {
      EXPECT_FALSE(r->reason.empty()) << name;
      EXPECT_TRUE(logged("plugin '" + name + "': rejected - ")) << name;
    }
}

TEST_F(LoaderTest, TracesEveryCandidateWhenAsked) {
  PluginDir dir{"alpha", "not-elf"};
  auto loader = makeLoader();
  loader->setTrace(true);
  loader->load({dir.path()});
  EXPECT_TRUE(logged("plugins: candidate " + dir.path() + "/ikemesh-alpha.so"));
  EXPECT_TRUE(logged("plugins: candidate " + dir.path() + "/ikemesh-not-elf.so"));
  EXPECT_TRUE(logged("plugin 'alpha' 1.0 (ABI " + std::to_string(kSdkAbiMajor) + "." +
                     std::to_string(kSdkAbiMinor) + ") passes the file checks"));
}

TEST_F(LoaderTest, AMissingDirectoryIsAWarningNotAFailure) {
  PluginDir dir{"alpha"};
  auto loader = makeLoader();
  loader->load({"/nonexistent/ikemesh-plugins", dir.path()});
  EXPECT_TRUE(logged("cannot read plugin directory /nonexistent/ikemesh-plugins"));
  EXPECT_NE(loader->provider("test.alpha"), nullptr);
}
