// Resource and API models: which calls acquire which resource, what releases
// it, and the result types of library calls the resolver needs. Data, not
// code: rules and the flow engine read these tables, users extend them.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace leakhound::models {

// A kind of resource and how it is released.
struct ResourceType {
  std::string id;            // "http-response"
  std::string rule;          // the rule that reports it: "body-close"
  std::string noun;          // "response body"
  std::string handle_field;  // release is called on VAR.<field> ("Body"), or on VAR itself when ""
  std::vector<std::string> release_methods;  // {"Close"}
  bool release_by_call = false;              // a cancel func: calling it releases
  std::string fix;           // fix text; {h} is replaced by the handle expression
  // A method whose false result means the resource released itself (`rows.Next()`:
  // a loop that runs to the end closes the rows); "" when none.
  std::string exhaust_method;
  bool released_with_parent = false;  // closing (committing, rolling back) its parent releases it (*sql.Stmt)
  bool released_by_ctx_cancel = false;  // cancelling the context it was acquired with releases it (rows, tx)
  bool user = false;  // declared in .leakhound.toml
};

// A call that acquires a resource.
struct Acquirer {
  std::string pkg;    // import path of the function, or of the receiver's type
  std::string recv;   // receiver type without pointer ("net/http.Client"), "" for package functions
  std::string name;   // function or method name
  int result = 0;     // which result is the resource
  std::string resource;  // ResourceType id
};

// Result types of a library function or method (for type-light resolution).
struct LibrarySignature {
  std::string pkg;
  std::string recv;  // "" for package functions
  std::string name;
  std::vector<std::string> results;
};

// A library function that releases (closes) its parameter `param`.
struct Closer {
  std::string pkg;
  std::string recv;  // "" for package functions
  std::string name;
  int param = 0;
};

struct LibraryVar {
  std::string qualified;  // "net/http.DefaultClient"
  std::string type;       // "*net/http.Client"
};

// Calls that never hand a resource anywhere, although they take it (readers).
// Everything in the standard library is assumed to only read its arguments,
// except the ones listed in `stdlib_keepers`.
struct ModelTable {
  std::vector<ResourceType> resources;
  std::vector<Acquirer> acquirers;
  std::vector<LibrarySignature> signatures;
  std::vector<LibraryVar> vars;
  std::vector<std::string> stdlib_keepers;  // "pkg.Func" that keep or close what they are given
  std::vector<Closer> closers;
  // "pkg.Func" whose result wraps (and whose Close closes) its first argument: tls.Client(conn, cfg)
  std::vector<std::string> wrappers;
  bool wraps(std::string_view pkg, std::string_view name) const;

  const ResourceType* resource(std::string_view id) const;
  // Every acquirer of this callee (os.Pipe acquires two files), in table order.
  std::vector<const Acquirer*> acquirers_of(std::string_view pkg, std::string_view recv,
                                            std::string_view name) const;
  const Acquirer* acquirer(std::string_view pkg, std::string_view recv, std::string_view name) const;
  const Closer* closer(std::string_view pkg, std::string_view recv, std::string_view name) const;
  const LibrarySignature* signature(std::string_view pkg, std::string_view recv, std::string_view name) const;
  const LibraryVar* var(std::string_view qualified) const;
  bool keeps(std::string_view pkg, std::string_view name) const;

  // The built-in models of the standard library.
  static const ModelTable& builtin();

  // Builds the lookup index; call after the tables change (builtin() comes indexed).
  void reindex();

 private:
  // function or method name -> positions in acquirers / signatures (lookups run per call)
  std::unordered_multimap<std::string, size_t> acq_index_, sig_index_;
};

// Is this import path part of the standard library? (no dot in its first element)
bool is_stdlib_path(std::string_view path);

}  // namespace leakhound::models
