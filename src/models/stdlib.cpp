// The built-in model table: standard-library resources, acquirers and the
// result types the resolver needs. See ../shared/reference/static-rules.md.
#include "models/models.h"

namespace leakhound::models {

const ModelTable& ModelTable::builtin() {
  static const ModelTable t = [] {
    ModelTable m;
    auto resource = [&](const char* id, const char* rule, const char* noun, const char* field,
                        std::vector<std::string> release, const char* fix) {
      ResourceType r;
      r.id = id;
      r.rule = rule;
      r.noun = noun;
      r.handle_field = field;
      r.release_methods = std::move(release);
      r.fix = fix;
      m.resources.push_back(std::move(r));
      return &m.resources.back();
    };
    m.resources.reserve(24);
    resource("http-response", "body-close", "response body", "Body", {"Close"},
             "add `defer {h}.Close()` right after the error check (drain it with `io.Copy(io.Discard, {h})` "
             "first when it may be unread, so the connection is reused)");
    resource("net-conn", "conn-close", "connection", "", {"Close"},
             "add `defer {h}.Close()` right after the error check");
    resource("net-listener", "conn-close", "listener", "", {"Close"},
             "add `defer {h}.Close()` right after the error check");
    auto* rows = resource("sql-rows", "sql-close", "rows", "", {"Close"},
                          "add `defer {h}.Close()` right after the error check (a `for {h}.Next()` loop closes "
                          "them only when it runs to the end)");
    rows->exhaust_method = "Next";
    rows->released_by_ctx_cancel = true;
    resource("sql-stmt", "sql-close", "prepared statement", "", {"Close"},
             "add `defer {h}.Close()` right after the error check")
        ->released_with_parent = true;
    resource("sql-conn", "sql-close", "connection", "", {"Close"},
             "add `defer {h}.Close()` right after the error check (it returns the connection to the pool)");
    resource("sql-tx", "sql-close", "transaction", "", {"Commit", "Rollback"},
             "add `defer {h}.Rollback()` right after the error check (a Rollback after Commit is a no-op)")
        ->released_by_ctx_cancel = true;
    resource("os-file", "file-close", "file", "", {"Close"},
             "add `defer {h}.Close()` right after the error check");
    resource("cancel-func", "lost-cancel", "cancel function", "", {}, "add `defer {h}()` right after the call")
        ->release_by_call = true;
    resource("ticker", "ticker-stop", "ticker", "", {"Stop"}, "add `defer {h}.Stop()` right after creating it");
    resource("timer", "", "timer", "", {"Stop"}, "call `{h}.Stop()` when it is no longer needed");
    resource("sql-db", "", "connection pool", "", {"Close"}, "call `{h}.Close()` when the pool is no longer needed");
    resource("http-transport", "transport-per-call", "transport", "", {"CloseIdleConnections"},
             "build the Transport (or Client) once and share it: a package variable, a field set by a "
             "constructor, or a parameter");

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
    m.acquirers.push_back({http, "net/http.Transport", "Clone", 0, "http-transport"});
    m.signatures.push_back({http, "net/http.Transport", "Clone", {"*net/http.Transport"}});

    // acquire(pkg, recv, name, results, resource index, resource id)
    auto acquire = [&](const std::string& pkg, const std::string& recv, const char* name,
                       std::vector<std::string> results, int index, const char* id) {
      m.acquirers.push_back({pkg, recv, name, index, id});
      m.signatures.push_back({pkg, recv, name, std::move(results)});
    };
    // net: connections and listeners
    const std::string net = "net";
    for (const char* f : {"Dial", "DialTimeout", "FileConn"}) acquire(net, "", f, {"net.Conn", "error"}, 0, "net-conn");
    acquire(net, "", "DialTCP", {"*net.TCPConn", "error"}, 0, "net-conn");
    acquire(net, "", "DialUDP", {"*net.UDPConn", "error"}, 0, "net-conn");
    acquire(net, "", "DialUnix", {"*net.UnixConn", "error"}, 0, "net-conn");
    acquire(net, "", "DialIP", {"*net.IPConn", "error"}, 0, "net-conn");
    for (const char* f : {"Dial", "DialContext"}) acquire(net, "net.Dialer", f, {"net.Conn", "error"}, 0, "net-conn");
    for (const char* recv : {"net.Listener", "net.TCPListener", "net.UnixListener"})
      acquire(net, recv, "Accept", {"net.Conn", "error"}, 0, "net-conn");
    acquire(net, "net.TCPListener", "AcceptTCP", {"*net.TCPConn", "error"}, 0, "net-conn");
    acquire(net, "net.UnixListener", "AcceptUnix", {"*net.UnixConn", "error"}, 0, "net-conn");
    acquire(net, "", "Listen", {"net.Listener", "error"}, 0, "net-listener");
    acquire(net, "", "FileListener", {"net.Listener", "error"}, 0, "net-listener");
    acquire(net, "", "ListenTCP", {"*net.TCPListener", "error"}, 0, "net-listener");
    acquire(net, "", "ListenUnix", {"*net.UnixListener", "error"}, 0, "net-listener");
    acquire(net, "", "ListenPacket", {"net.PacketConn", "error"}, 0, "net-listener");
    acquire(net, "", "ListenUDP", {"*net.UDPConn", "error"}, 0, "net-listener");
    acquire(net, "", "ListenMulticastUDP", {"*net.UDPConn", "error"}, 0, "net-listener");
    acquire(net, "", "ListenIP", {"*net.IPConn", "error"}, 0, "net-listener");
    acquire(net, "", "ListenUnixgram", {"*net.UnixConn", "error"}, 0, "net-listener");
    acquire(net, "net.ListenConfig", "Listen", {"net.Listener", "error"}, 0, "net-listener");
    acquire(net, "net.ListenConfig", "ListenPacket", {"net.PacketConn", "error"}, 0, "net-listener");
    const std::string tls = "crypto/tls";
    acquire(tls, "", "Dial", {"*crypto/tls.Conn", "error"}, 0, "net-conn");
    acquire(tls, "", "DialWithDialer", {"*crypto/tls.Conn", "error"}, 0, "net-conn");
    acquire(tls, "crypto/tls.Dialer", "Dial", {"net.Conn", "error"}, 0, "net-conn");
    acquire(tls, "crypto/tls.Dialer", "DialContext", {"net.Conn", "error"}, 0, "net-conn");
    acquire(tls, "", "Listen", {"net.Listener", "error"}, 0, "net-listener");
    // wrappers: the result is the same socket as the argument (an alias, not a new resource)
    m.signatures.push_back({tls, "", "Client", {"*crypto/tls.Conn"}});
    m.signatures.push_back({tls, "", "Server", {"*crypto/tls.Conn"}});
    m.signatures.push_back({tls, "", "NewListener", {"net.Listener"}});
    m.wrappers = {"crypto/tls.Client", "crypto/tls.Server", "crypto/tls.NewListener"};

    // database/sql
    const std::string sql = "database/sql";
    for (const char* recv : {"database/sql.DB", "database/sql.Tx", "database/sql.Conn", "database/sql.Stmt"})
      for (const char* f : {"Query", "QueryContext"})
        acquire(sql, recv, f, {"*database/sql.Rows", "error"}, 0, "sql-rows");
    for (const char* recv : {"database/sql.DB", "database/sql.Tx", "database/sql.Conn"})
      for (const char* f : {"Prepare", "PrepareContext"})
        acquire(sql, recv, f, {"*database/sql.Stmt", "error"}, 0, "sql-stmt");
    acquire(sql, "database/sql.DB", "Conn", {"*database/sql.Conn", "error"}, 0, "sql-conn");
    acquire(sql, "database/sql.DB", "Begin", {"*database/sql.Tx", "error"}, 0, "sql-tx");
    acquire(sql, "database/sql.DB", "BeginTx", {"*database/sql.Tx", "error"}, 0, "sql-tx");
    acquire(sql, "database/sql.Conn", "BeginTx", {"*database/sql.Tx", "error"}, 0, "sql-tx");
    // A pool: no rule reports it through the engine (sql-open-per-call has its own
    // check), but resource-field needs to know that sql.Open acquires one.
    acquire(sql, "", "Open", {"*database/sql.DB", "error"}, 0, "sql-db");
    acquire(sql, "", "OpenDB", {"*database/sql.DB"}, 0, "sql-db");
    for (const char* recv : {"database/sql.DB", "database/sql.Tx", "database/sql.Conn", "database/sql.Stmt"})
      for (const char* f : {"QueryRow", "QueryRowContext"}) m.signatures.push_back({sql, recv, f, {"*database/sql.Row"}});
    for (const char* f : {"Stmt", "StmtContext"})  // closed with the transaction
      m.signatures.push_back({sql, "database/sql.Tx", f, {"*database/sql.Stmt"}});

    // os
    for (const char* f : {"Open", "Create", "OpenFile"}) acquire("os", "", f, {"*os.File", "error"}, 0, "os-file");
    acquire("os", "", "NewFile", {"*os.File"}, 0, "os-file");
    acquire("os", "", "Pipe", {"*os.File", "*os.File", "error"}, 0, "os-file");
    m.acquirers.push_back({"os", "", "Pipe", 1, "os-file"});

    // context
    const std::vector<std::string> ctx_cancel = {"context.Context", "context.CancelFunc"};
    for (const char* f : {"WithCancel", "WithTimeout", "WithDeadline", "WithTimeoutCause", "WithDeadlineCause"})
      acquire("context", "", f, ctx_cancel, 1, "cancel-func");
    acquire("context", "", "WithCancelCause", {"context.Context", "context.CancelCauseFunc"}, 1, "cancel-func");

    // time
    acquire("time", "", "NewTicker", {"*time.Ticker"}, 0, "ticker");
    m.signatures.push_back({"time", "", "Tick", {"<-chan time.Time"}});
    // a timer: no rule reports unstopped ones (they fire once and go), but defer-in-loop needs to know it
    acquire("time", "", "NewTimer", {"*time.Timer"}, 0, "timer");

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
                        "container/list.PushFront", "container/heap.Push",
                        // they own the connection or listener they are given
                        "net/http.Serve",
                        // they keep writing to the file they are given after they return
                        "runtime/pprof.StartCPUProfile", "runtime/trace.Start", "log.SetOutput", "log.New",
                        "net/http.ServeTLS", "net/http/httputil.NewClientConn", "net/http/httputil.NewServerConn"};
    m.reindex();
    return m;
  }();
  return t;
}

}  // namespace leakhound::models
