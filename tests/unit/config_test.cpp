// .leakhound.toml: loading, validation errors (file, line, key), lookup,
// and its effect on a scan (user models, rules on/off, severity, exclude).
#include <gtest/gtest.h>

#include "config/config.h"
#include "scan/scan.h"
#include "test_util.h"

using namespace leakhound;
using leakhound::testing::TempDir;
using leakhound::testing::run_cli;
namespace fs = std::filesystem;

namespace {

std::string load_error(const std::string& toml) {
  TempDir t;
  auto p = t.write(".leakhound.toml", toml);
  try {
    config::load(p.string());
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "";
}

const char* kRedis = R"(package p

import "github.com/gomodule/redigo/redis"

func ping(pool *redis.Pool) error {
	c := pool.Get()
	_, err := c.Do("PING")
	return err
}

func pingClosed(pool *redis.Pool) error {
	c := pool.Get()
	defer c.Close()
	_, err := c.Do("PING")
	return err
}
)";

const char* kRedisModel = R"(
[[resource]]
rule = "conn-close"
package = "github.com/gomodule/redigo/redis"
receiver = "*Pool"
function = "Get"
release = ["Close"]
what = "redis connection"
)";

}  // namespace

TEST(Config, ShippedExampleAndFixtureLoad) {
  for (const char* rel : {"docs/examples/leakhound.toml", "tests/fixtures/user-models/.leakhound.toml"}) {
    auto cfg = config::load(std::string(LEAKHOUND_SOURCE_DIR) + "/" + rel);
    EXPECT_GE(cfg.user_resources, 9u) << rel;
    EXPECT_FALSE(cfg.models.closers.empty()) << rel;
    EXPECT_FALSE(cfg.models.vars.empty()) << rel;
    // the built-in models are still there
    EXPECT_NE(cfg.models.acquirer("net/http", "", "Get"), nullptr) << rel;
    EXPECT_NE(cfg.models.acquirer("github.com/gomodule/redigo/redis", "github.com/gomodule/redigo/redis.Pool", "Get"),
              nullptr)
        << rel;
  }
}

TEST(Config, ErrorsNameFileLineAndKey) {
  std::string e = load_error("[rules]\nenable = [\"body-drain\"\n");  // unterminated array
  EXPECT_NE(e.find(".leakhound.toml:"), std::string::npos) << e;

  e = load_error("exclude = []\n\n[rules]\nenabled = [\"body-drain\"]\n");
  EXPECT_NE(e.find(":4: rules.enabled: unknown key"), std::string::npos) << e;

  e = load_error("[severity]\nconn-close = \"loud\"\n");
  EXPECT_NE(e.find(":2: severity.conn-close: must be"), std::string::npos) << e;

  e = load_error("[rules]\ndisable = [\"no-such-rule\"]\n");
  EXPECT_NE(e.find("unknown rule \"no-such-rule\""), std::string::npos) << e;

  e = load_error("[[resource]]\nrule = \"conn-close\"\npackage = \"x.org/y\"\nrelease = [\"Close\"]\n");
  EXPECT_NE(e.find("resource[0].function: missing"), std::string::npos) << e;

  e = load_error("[[resource]]\nrule = \"defer-in-loop\"\npackage = \"x.org/y\"\nfunction = \"F\"\nrelease = [\"Close\"]\n");
  EXPECT_NE(e.find("does not report resources"), std::string::npos) << e;

  e = load_error("[[resource]]\nrule = \"conn-close\"\npackage = \"x.org/y\"\nfunction = \"F\"\nresult = 2\n"
                 "results = [\"x.org/y.T\", \"error\"]\nrelease = [\"Close\"]\n");
  EXPECT_NE(e.find("resource[0].results: has no entry"), std::string::npos) << e;

  e = load_error("[[closer]]\npackage = \"x.org/y\"\nfunction = \"F\"\nparam = \"zero\"\n");
  EXPECT_NE(e.find(":4: closer[0].param: must be an integer"), std::string::npos) << e;
}

TEST(Config, FoundFromTheScannedFolderUpward) {
  TempDir t;
  t.write(".leakhound.toml", "exclude = []\n");
  t.write("a/b/x.go", "package b\n");
  auto found = config::find((t.path / "a" / "b").string());
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, (t.path / ".leakhound.toml").string());
  // a repository root stops the search
  TempDir u;
  fs::create_directories(u.path / "repo" / ".git");
  u.write("repo/pkg/x.go", "package pkg\n");
  u.write(".leakhound.toml", "exclude = []\n");  // above the repository: not used
  EXPECT_FALSE(config::find((u.path / "repo" / "pkg").string()));
}

TEST(Config, UserModelReportsThirdPartyResource) {
  TempDir t;
  t.write("go.mod", "module example.com/m\n\ngo 1.21\n");
  auto file = t.write("p/redis.go", kRedis);
  t.write(".leakhound.toml", kRedisModel);
  auto cfg = config::load((t.path / ".leakhound.toml").string());
  scan::ScanOptions o;
  o.paths = {t.path.string()};
  config::apply(cfg, o);
  auto res = scan::run_scan(o);
  ASSERT_EQ(res.findings.size(), 1u);
  EXPECT_EQ(res.findings[0].rule, "conn-close");
  EXPECT_EQ(res.findings[0].line, 6u);
  EXPECT_NE(res.findings[0].message.find("redis connection"), std::string::npos) << res.findings[0].message;
  // without the model the same code is silent
  scan::ScanOptions plain;
  plain.paths = {t.path.string()};
  EXPECT_TRUE(scan::run_scan(plain).findings.empty());
}

TEST(Config, RulesSeverityAndExclude) {
  TempDir t;
  t.write("go.mod", "module example.com/m\n\ngo 1.21\n");
  t.write("p/redis.go", kRedis);
  t.write("gen/redis.go", std::string(kRedis));
  t.write(".leakhound.toml", "exclude = [\"gen/**\"]\n" + std::string(kRedisModel) + R"(
[severity]
conn-close = "error"
)");
  auto cfg = config::load((t.path / ".leakhound.toml").string());
  scan::ScanOptions o;
  o.paths = {t.path.string()};
  config::apply(cfg, o);
  auto res = scan::run_scan(o);
  ASSERT_EQ(res.findings.size(), 1u);  // gen/ is excluded
  EXPECT_EQ(res.stats.excluded, 1u);
  EXPECT_EQ(res.findings[0].severity, report::Severity::Error);

  t.write(".leakhound.toml", std::string(kRedisModel) + "\n[rules]\ndisable = [\"conn-close\"]\n");
  auto off = config::load((t.path / ".leakhound.toml").string());
  scan::ScanOptions o2;
  o2.paths = {t.path.string()};
  config::apply(off, o2);
  EXPECT_TRUE(scan::run_scan(o2).findings.empty());
}

TEST(Config, CliUsesItAndRejectsBadFiles) {
  TempDir t;
  t.write("go.mod", "module example.com/m\n\ngo 1.21\n");
  t.write("p/redis.go", kRedis);
  t.write(".leakhound.toml", kRedisModel);
  auto r = run_cli("scan --format json " + t.path.string());
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.out.find("redis connection"), std::string::npos);
  EXPECT_EQ(run_cli("scan --no-config " + t.path.string()).code, 0);

  auto bad = t.write("bad.toml", "[[resource]]\nrule = 42\n");
  auto b = run_cli("scan --config " + bad.string() + " " + t.path.string());
  EXPECT_EQ(b.code, 2);
  EXPECT_NE(b.err.find("bad.toml:2: resource[0].rule: must be a string"), std::string::npos) << b.err;
  EXPECT_EQ(run_cli("scan --config /nonexistent/x.toml " + t.path.string()).code, 2);
}
