// The built-in model table: standard-library resources, acquirers and the
// result types the resolver needs. See ../shared/reference/static-rules.md.
#include "models/models.h"

namespace leakhound::models {

const ModelTable& ModelTable::builtin() {
  static const ModelTable t = [] {
    ModelTable m;
    m.resources = {
        {"http-response", "body-close", "response body", "Body", {"Close"}, false,
         "add `defer {h}.Close()` right after the error check (drain it with `io.Copy(io.Discard, {h})` "
         "first when it may be unread, so the connection is reused)"},
    };

    const std::string http = "net/http";
    const std::vector<std::string> resp_err = {"*net/http.Response", "error"};
    for (const char* f : {"Get", "Post", "PostForm", "Head"}) {
      m.acquirers.push_back({http, "", f, 0, "http-response"});
      m.signatures.push_back({http, "", f, resp_err});
      m.acquirers.push_back({http, "net/http.Client", f, 0, "http-response"});
      m.signatures.push_back({http, "net/http.Client", f, resp_err});
    }
    m.acquirers.push_back({http, "net/http.Client", "Do", 0, "http-response"});
    m.signatures.push_back({http, "net/http.Client", "Do", resp_err});
    for (const char* recv : {"net/http.Transport", "net/http.RoundTripper"}) {
      m.acquirers.push_back({http, recv, "RoundTrip", 0, "http-response"});
      m.signatures.push_back({http, recv, "RoundTrip", resp_err});
    }

    // Result types for resolution (not acquisitions).
    m.signatures.push_back({http, "", "NewRequest", {"*net/http.Request", "error"}});
    m.signatures.push_back({http, "", "NewRequestWithContext", {"*net/http.Request", "error"}});
    m.signatures.push_back({http, "net/http.Request", "WithContext", {"*net/http.Request"}});
    m.signatures.push_back({http, "net/http.Request", "Clone", {"*net/http.Request"}});
    m.signatures.push_back({"net/http/httptest", "", "NewRecorder", {"*net/http/httptest.ResponseRecorder"}});
    m.signatures.push_back({"net/http/httptest", "net/http/httptest.ResponseRecorder", "Result", {"*net/http.Response"}});
    m.signatures.push_back({"net/http/httptest", "", "NewServer", {"*net/http/httptest.Server"}});
    m.signatures.push_back({"net/http/httptest", "", "NewTLSServer", {"*net/http/httptest.Server"}});
    m.signatures.push_back({"net/http/httptest", "net/http/httptest.Server", "Client", {"*net/http.Client"}});
    m.signatures.push_back({"io", "", "NopCloser", {"io.ReadCloser"}});
    m.signatures.push_back({"io", "", "ReadAll", {"[]byte", "error"}});
    m.signatures.push_back({"io/ioutil", "", "ReadAll", {"[]byte", "error"}});
    m.signatures.push_back({"io/ioutil", "", "NopCloser", {"io.ReadCloser"}});

    m.vars = {
        {"net/http.DefaultClient", "*net/http.Client"},
        {"net/http.DefaultTransport", "net/http.RoundTripper"},
    };

    // Standard-library functions that keep (or close) an argument rather than just read it.
    // (package path + function or method name, as the resolver sees the callee)
    m.stdlib_keepers = {"runtime.SetFinalizer", "sync.Put",         "sync.Store",     "sync.LoadOrStore",
                        "sync.Swap",            "context.WithValue", "reflect.ValueOf", "container/list.PushBack",
                        "container/list.PushFront", "container/heap.Push"};
    return m;
  }();
  return t;
}

}  // namespace leakhound::models
