// The timeout and context rules beyond their fixtures: the wording of findings
// whose origin is a factory, and inputs whose shape once made the analysis
// explode (long chains of context wrappers and of local copies).
#include <gtest/gtest.h>

#include <string>

#include "scan/scan.h"

using namespace leakhound;

namespace {

scan::ScanResult scan_one(const std::string& src, const std::string& rule) {
  scan::ScanOptions o;
  o.rules = {rule};
  return scan::scan_sources({{"a.go", src}}, o);
}

}  // namespace

TEST(Timeouts, FactoryOriginIsNamedInTheMessage) {
  const std::string src =
      "package a\n\nimport \"net/http\"\n\n"
      "func newPlainClient() *http.Client { return &http.Client{Transport: http.DefaultTransport} }\n\n"
      "func fetch(u string) error {\n\tc := newPlainClient()\n\tresp, err := c.Get(u)\n\tif err != nil {\n\t\treturn err\n\t}\n"
      "\treturn resp.Body.Close()\n}\n";
  auto r = scan_one(src, "client-timeout");
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_NE(r.findings[0].message.find("newPlainClient() (it returns one without a timeout)"), std::string::npos)
      << r.findings[0].message;
  EXPECT_EQ(r.findings[0].line, 9u);
}

TEST(Timeouts, LongWrapperChainsStayLinear) {
  // ctx rewrapped 200 times, then used: each assignment's earlier value is the variable itself
  std::string src = "package a\n\nimport (\n\t\"context\"\n\t\"net/http\"\n)\n\ntype key int\n\n"
                    "func send(u string) error {\n\tctx := context.Background()\n";
  for (int i = 0; i < 200; ++i) src += "\tctx = context.WithValue(ctx, key(" + std::to_string(i) + "), \"v\")\n";
  src += "\treq, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)\n\tif err != nil {\n\t\treturn err\n\t}\n"
         "\tresp, err := http.DefaultClient.Do(req)\n\tif err != nil {\n\t\treturn err\n\t}\n\treturn resp.Body.Close()\n}\n";
  auto r = scan_one(src, "client-timeout");
  ASSERT_EQ(r.findings.size(), 1u);  // Background rewrapped by WithValue has no deadline
  // and a chain of 300 local copies of a client
  std::string copies = "package a\n\nimport \"net/http\"\n\nfunc get(u string) error {\n\tc0 := &http.Client{}\n";
  for (int i = 1; i < 300; ++i) copies += "\tc" + std::to_string(i) + " := c" + std::to_string(i - 1) + "\n";
  copies += "\tresp, err := c299.Get(u)\n\tif err != nil {\n\t\treturn err\n\t}\n\treturn resp.Body.Close()\n}\n";
  auto c = scan_one(copies, "client-timeout");
  EXPECT_LE(c.findings.size(), 1u);  // followed, or given up as unknown past the bound: never a blow-up
}
