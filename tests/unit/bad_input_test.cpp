// Bad input: the scanner reports a clear notice or error and never crashes,
// hangs or loses output. Also checks the CLI's exit codes.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "scan/scan.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace leakhound;
using leakhound::testing::Run;
using leakhound::testing::TempDir;
using leakhound::testing::run_cli;

namespace {

const char* kLeaky = R"(package p

import "net/http"

func leak(u string) int {
	resp, err := http.Get(u)
	if err != nil {
		return 0
	}
	return resp.StatusCode
}
)";

scan::ScanResult scan_dir(const fs::path& p) {
  scan::ScanOptions o;
  o.paths = {p.string()};
  o.jobs = 2;
  o.rules = {"body-close"};  // the input's one leak (http.Get also has no timeout: client-timeout's business)
  return scan::run_scan(o);
}

bool has_notice(const scan::ScanResult& r, const std::string& text) {
  for (auto& n : r.notices)
    if (n.message.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST(BadInput, SyntaxErrorStillAnalysesTheRest) {
  TempDir t;
  t.write("a.go", std::string(kLeaky) + "\nfunc broken( {\n\treturn ))\n}\n");
  auto r = scan_dir(t.path);
  EXPECT_TRUE(has_notice(r, "syntax error"));
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].line, 6u);
}

TEST(BadInput, NonUtf8AndBinaryContent) {
  TempDir t;
  t.write("latin1.go", "package p\n// caf\xe9 \xff\xfe\nfunc f() { s := \"\xe9\"; _ = s }\n");
  std::string bin = "package p\n";
  bin += std::string("\0\x01\x02\x03", 4);
  t.write("bin.go", bin);
  std::mt19937 rng(42);
  std::string noise(100000, '\0');
  for (auto& c : noise) c = static_cast<char>(rng());
  t.write("noise.go", noise);
  auto r = scan_dir(t.path);
  EXPECT_TRUE(has_notice(r, "binary content"));
  EXPECT_TRUE(r.errors.empty());
  EXPECT_TRUE(r.findings.empty());
}

TEST(BadInput, HugeFileIsSkippedWithNotice) {
  TempDir t;
  std::string big = "package p\n";
  big += std::string(11 * 1024 * 1024, '\n');
  t.write("big.go", big);
  t.write("ok.go", kLeaky);
  auto r = scan_dir(t.path);
  EXPECT_TRUE(has_notice(r, "over the 10 MB limit"));
  EXPECT_EQ(r.findings.size(), 1u);
}

TEST(BadInput, DeepNestingDoesNotCrash) {
  TempDir t;
  std::string deep = "package p\nvar x = ";
  for (int i = 0; i < 20000; ++i) deep += "(1 + ";
  deep += "1";
  for (int i = 0; i < 20000; ++i) deep += ")";
  deep += "\nfunc f() {\n";
  for (int i = 0; i < 3000; ++i) deep += "{";
  for (int i = 0; i < 3000; ++i) deep += "}";
  deep += "\n}\n";
  std::string chain = "package p\nvar s = \"a\"";
  for (int i = 0; i < 20000; ++i) chain += " +\n\t\"b\"";
  chain += "\n";
  t.write("deep.go", deep);
  t.write("chain.go", chain);
  auto r = scan_dir(t.path);
  EXPECT_TRUE(r.errors.empty());
}

TEST(BadInput, SymlinkLoopsAndDanglingLinks) {
  TempDir t;
  t.write("ok.go", kLeaky);
  fs::create_directory_symlink(t.path, t.path / "loop");
  fs::create_symlink(t.path / "b.go", t.path / "a.go");
  fs::create_symlink(t.path / "a.go", t.path / "b.go");
  fs::create_symlink(t.path / "missing.go", t.path / "dangling.go");
  auto r = scan_dir(t.path);
  EXPECT_EQ(r.findings.size(), 1u);
  EXPECT_TRUE(has_notice(r, "skipped"));
}

TEST(BadInput, UnreadableFilesAndFolders) {
  TempDir t;
  t.write("ok.go", kLeaky);
  t.write("secret.go", kLeaky);
  t.write("locked/inner.go", kLeaky);
  fs::permissions(t.path / "secret.go", fs::perms::none);
  fs::permissions(t.path / "locked", fs::perms::none);
  // Permissions do not bind root, so run the scan as an unprivileged user when we are root.
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(10);
    auto r = scan_dir(t.path);
    bool ok = r.findings.size() == 1 && has_notice(r, "skipped folder") && r.errors.empty();
    bool file_notice = false;
    for (auto& n : r.notices)
      if (n.file.find("secret.go") != std::string::npos) file_notice = true;
    _exit(ok && file_notice ? 0 : 1);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 0) << "unreadable entries were not reported as notices";
}

TEST(BadInput, EmptyTree) {
  TempDir t;
  auto r = scan_dir(t.path);
  EXPECT_TRUE(r.findings.empty());
  EXPECT_TRUE(r.errors.empty());
  auto cli = run_cli("scan " + t.path.string());
  EXPECT_EQ(cli.code, 0);
  EXPECT_NE(cli.err.find("0 findings"), std::string::npos);
}

TEST(BadInput, MissingPathIsExitTwo) {
  auto cli = run_cli("scan /nonexistent/leakhound/path");
  EXPECT_EQ(cli.code, 2);
  EXPECT_NE(cli.err.find("No such file"), std::string::npos) << cli.err;
}

TEST(Cli, ExitCodesAndFormats) {
  TempDir t;
  t.write("go.mod", "module example.com/m\n\ngo 1.21\n");
  t.write("a.go", kLeaky);
  auto text = run_cli("scan " + t.path.string());
  EXPECT_EQ(text.code, 1);
  EXPECT_NE(text.out.find("a.go:6:15: warning[body-close]"), std::string::npos) << text.out;
  auto json = run_cli("scan --format json " + t.path.string());
  EXPECT_EQ(json.code, 1);
  EXPECT_NE(json.out.find("\"rule\": \"body-close\""), std::string::npos);
  auto sarif = run_cli("scan --format sarif " + t.path.string());
  EXPECT_NE(sarif.out.find("\"version\": \"2.1.0\""), std::string::npos);
  EXPECT_NE(sarif.out.find("\"ruleId\": \"body-close\""), std::string::npos);
  auto gh = run_cli("scan --format github " + t.path.string());
  EXPECT_EQ(gh.out.rfind("::warning file=", 0), 0u) << gh.out;
  EXPECT_EQ(run_cli("scan --format yaml " + t.path.string()).code, 2);
  EXPECT_EQ(run_cli("scan --no-such-flag").code, 2);
  EXPECT_EQ(run_cli("frobnicate").code, 2);
  EXPECT_EQ(run_cli("--version").code, 0);
}

TEST(Cli, SuppressionComment) {
  TempDir t;
  std::string src = kLeaky;
  src.replace(src.find("resp, err := http.Get(u)"), 24, "resp, err := http.Get(u) //leakhound:ignore body-close the caller drains it");
  t.write("a.go", src);
  auto cli = run_cli("scan --rules body-close " + t.path.string());
  EXPECT_EQ(cli.code, 0) << cli.out;
  EXPECT_NE(cli.err.find("1 suppressed"), std::string::npos) << cli.err;
}

TEST(Cli, RulesAndExplain) {
  auto rules = run_cli("rules");
  EXPECT_EQ(rules.code, 0);
  EXPECT_NE(rules.out.find("body-close"), std::string::npos);
  auto ex = run_cli("explain body-close");
  EXPECT_EQ(ex.code, 0);
  EXPECT_NE(ex.out.find("## Use instead"), std::string::npos);
  EXPECT_EQ(run_cli("explain no-such-rule").code, 2);
}

TEST(Cli, TestsAndGeneratedFiles) {
  TempDir t;
  std::string test_src = kLeaky;
  t.write("a_test.go", test_src);
  t.write("gen.go", "// Code generated by hand. DO NOT EDIT.\n\n" + std::string(kLeaky).replace(0, 9, "package p"));
  auto low = run_cli("scan --format json " + t.path.string());
  EXPECT_NE(low.out.find("\"severity\": \"info\""), std::string::npos) << low.out;
  EXPECT_EQ(low.out.find("gen.go"), std::string::npos);
  auto skip = run_cli("scan --tests=skip " + t.path.string());
  EXPECT_EQ(skip.code, 0);
  auto gen = run_cli("scan --tests=skip --include-generated --format json " + t.path.string());
  EXPECT_NE(gen.out.find("gen.go"), std::string::npos);
}

TEST(BadInput, HostileNestingInTypesConditionsAndLiterals) {
  TempDir t;
  std::string maps = "package p\nvar x ";
  for (int i = 0; i < 20000; ++i) maps += "map[";
  maps += "int";
  for (int i = 0; i < 20000; ++i) maps += "]int";
  t.write("maps.go", maps + "\n");
  std::string nots = "package p\nimport \"net/http\"\nfunc f(u string) {\n\tr, err := http.Get(u)\n\tif ";
  for (int i = 0; i < 100000; ++i) nots += "!";
  nots += "(err != nil) {\n\t\treturn\n\t}\n\t_ = r\n}\n";
  t.write("nots.go", nots);
  std::string ands = "package p\nimport \"net/http\"\nfunc g(u string, a bool) {\n\tr, err := http.Get(u)\n\tif a";
  for (int i = 0; i < 50000; ++i) ands += " && a";
  ands += " {\n\t\treturn\n\t}\n\t_, _ = r, err\n}\n";
  t.write("ands.go", ands);
  std::string lits = "package p\nimport \"io\"\nfunc h(r io.ReadCloser) {\n\tvar _ ";
  for (int i = 0; i < 3000; ++i) lits += "[len(func(){ var _ ";
  lits += "int";
  for (int i = 0; i < 3000; ++i) lits += " })]int";
  lits += "\n\tr.Close()\n}\n";
  t.write("lits.go", lits);
  auto r = scan_dir(t.path);
  EXPECT_TRUE(r.errors.empty());
}

TEST(Cli, InvalidUtf8NeverLosesJson) {
  TempDir t;
  std::string src = kLeaky;
  src.replace(src.find("resp, err := http.Get(u)"), 24, "resp, err := http.Get(u) // \xC0\xAF \xED\xA0\x80 \xF5");
  t.write("a.go", src);
  auto json = run_cli("scan --format json " + t.path.string());
  EXPECT_EQ(json.code, 1) << json.err;
  EXPECT_NE(json.out.find("\"rule\": \"body-close\""), std::string::npos);
  auto sarif = run_cli("scan --format sarif " + t.path.string());
  EXPECT_EQ(sarif.code, 1) << sarif.err;
  EXPECT_NE(sarif.out.find("file://"), std::string::npos);  // absolute paths are file URIs
}

TEST(Scan, SameImportPathTwiceStaysApart) {
  TempDir t;
  t.write("a/go.mod", "module example\n\ngo 1.21\n");
  t.write("a/x.go", kLeaky);
  t.write("b/go.mod", "module example\n\ngo 1.21\n");
  t.write("b/x.go", kLeaky);
  t.write("b/gen.go", "//go:build linux\n\npackage main\n\nfunc main() {}\n");
  t.write("b/old.go", "//go:build !go1.7\n\npackage main\n\nfunc main() {}\n");  // never built at go 1.21: skipped
  t.write("b/gen2.go", "// +build ignore\n\npackage main\n\nfunc main() {}\n");   // a `go run` program: kept
  auto r = scan_dir(t.path);
  EXPECT_EQ(r.findings.size(), 2u);
  EXPECT_EQ(r.stats.packages, 3u);
  EXPECT_EQ(r.stats.constraint_skipped, 1u);
}

TEST(Cli, RejectsBadOptionValues) {
  EXPECT_EQ(run_cli("scan --max-file-size -1 .").code, 2);
  EXPECT_EQ(run_cli("scan --tests=sometimes .").code, 2);
  EXPECT_EQ(run_cli("rules --format yaml").code, 2);
}
