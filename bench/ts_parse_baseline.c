/*
 * ts_parse_baseline: the "tree-sitter bare parse + one walk" baseline that
 * leakhound is measured against (see bench/README.md).
 *
 *   ts_parse_baseline [-j N] LISTFILE      (LISTFILE "-" = stdin)
 *
 * LISTFILE holds one .go path per line. N worker threads (default 1), each
 * with its own TSParser, take files from a shared atomic counter; for each
 * file a thread reads it into a reused buffer, parses it with tree-sitter-go,
 * walks the whole tree once with a TSTreeCursor (iterative, visiting every
 * node, named and anonymous), and deletes the tree.
 *
 * Prints one line of key=value pairs on stdout:
 *   files= bytes= nodes= named_nodes= error_files= unreadable= threads= wall_s=
 * wall_s covers reading + parsing + walking (not reading the list itself).
 * error_files counts trees with an ERROR/MISSING node (ts_node_has_error).
 *
 * Build (run.sh does this):
 *   gcc -O2 -DNDEBUG -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
 *     -I$TS/lib/include -I$TS/lib/src $TS/lib/src/lib.c \
 *     -I$GO/src $GO/src/parser.c bench/ts_parse_baseline.c -lpthread
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_go(void);

static char **paths;
static size_t npaths;
static atomic_size_t next_index;

typedef struct {
  uint64_t files, bytes, nodes, named_nodes, error_files, unreadable;
} Stats;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Reads the whole file into *buf (grown as needed); returns its length or -1. */
static long read_file(const char *path, char **buf, size_t *cap) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  size_t len = 0;
  for (;;) {
    if (len == *cap) {
      size_t ncap = *cap ? *cap * 2 : (1u << 16);
      char *nb = realloc(*buf, ncap);
      if (!nb) { fclose(f); return -1; }
      *buf = nb;
      *cap = ncap;
    }
    size_t got = fread(*buf + len, 1, *cap - len, f);
    len += got;
    if (got == 0) break;
  }
  int err = ferror(f);
  fclose(f);
  return err ? -1 : (long)len;
}

/* One full pre-order walk with a cursor; returns the node count. */
static uint64_t walk(TSTree *tree, uint64_t *named) {
  TSTreeCursor c = ts_tree_cursor_new(ts_tree_root_node(tree));
  uint64_t n = 0, nn = 0;
  for (;;) {
    n++;
    if (ts_node_is_named(ts_tree_cursor_current_node(&c))) nn++;
    if (ts_tree_cursor_goto_first_child(&c)) continue;
    while (!ts_tree_cursor_goto_next_sibling(&c)) {
      if (!ts_tree_cursor_goto_parent(&c)) goto done;
    }
  }
done:
  ts_tree_cursor_delete(&c);
  *named += nn;
  return n;
}

static void *worker(void *arg) {
  Stats *st = arg;
  TSParser *parser = ts_parser_new();
  if (!ts_parser_set_language(parser, tree_sitter_go())) {
    fprintf(stderr, "ts_parse_baseline: incompatible tree-sitter-go language version\n");
    exit(2);
  }
  char *buf = NULL;
  size_t cap = 0;
  for (;;) {
    size_t i = atomic_fetch_add(&next_index, 1);
    if (i >= npaths) break;
    long len = read_file(paths[i], &buf, &cap);
    if (len < 0) {
      fprintf(stderr, "ts_parse_baseline: cannot read %s: %s\n", paths[i], strerror(errno));
      st->unreadable++;
      continue;
    }
    TSTree *tree = ts_parser_parse_string(parser, NULL, buf, (uint32_t)len);
    if (!tree) {
      fprintf(stderr, "ts_parse_baseline: parse failed: %s\n", paths[i]);
      st->unreadable++;
      ts_parser_reset(parser);
      continue;
    }
    st->files++;
    st->bytes += (uint64_t)len;
    st->nodes += walk(tree, &st->named_nodes);
    if (ts_node_has_error(ts_tree_root_node(tree))) st->error_files++;
    ts_tree_delete(tree);
  }
  free(buf);
  ts_parser_delete(parser);
  return NULL;
}

static void usage(void) {
  fprintf(stderr, "usage: ts_parse_baseline [-j N] LISTFILE   (LISTFILE '-' = stdin)\n");
  exit(2);
}

int main(int argc, char **argv) {
  int jobs = 1;
  const char *list = NULL;
  for (int a = 1; a < argc; a++) {
    if (strcmp(argv[a], "-j") == 0 && a + 1 < argc) {
      jobs = atoi(argv[++a]);
    } else if (strncmp(argv[a], "-j", 2) == 0 && argv[a][2]) {
      jobs = atoi(argv[a] + 2);
    } else if (!list && (argv[a][0] != '-' || strcmp(argv[a], "-") == 0)) {
      list = argv[a];
    } else {
      usage();
    }
  }
  if (!list || jobs < 1 || jobs > 1024) usage();

  FILE *lf = strcmp(list, "-") == 0 ? stdin : fopen(list, "r");
  if (!lf) {
    fprintf(stderr, "ts_parse_baseline: cannot open %s: %s\n", list, strerror(errno));
    return 2;
  }
  size_t pcap = 0;
  char *line = NULL;
  size_t lcap = 0;
  ssize_t got;
  while ((got = getline(&line, &lcap, lf)) > 0) {
    while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r')) line[--got] = 0;
    if (got == 0) continue;
    if (npaths == pcap) {
      pcap = pcap ? pcap * 2 : 4096;
      paths = realloc(paths, pcap * sizeof *paths);
      if (!paths) { perror("realloc"); return 2; }
    }
    paths[npaths++] = strdup(line);
  }
  free(line);
  if (lf != stdin) fclose(lf);

  Stats *st = calloc((size_t)jobs, sizeof *st);
  pthread_t *th = calloc((size_t)jobs, sizeof *th);
  double t0 = now_s();
  for (int t = 0; t < jobs; t++) {
    if (pthread_create(&th[t], NULL, worker, &st[t]) != 0) {
      perror("pthread_create");
      return 2;
    }
  }
  Stats tot = {0};
  for (int t = 0; t < jobs; t++) {
    pthread_join(th[t], NULL);
    tot.files += st[t].files;
    tot.bytes += st[t].bytes;
    tot.nodes += st[t].nodes;
    tot.named_nodes += st[t].named_nodes;
    tot.error_files += st[t].error_files;
    tot.unreadable += st[t].unreadable;
  }
  double wall = now_s() - t0;

  printf("files=%llu bytes=%llu nodes=%llu named_nodes=%llu error_files=%llu unreadable=%llu "
         "threads=%d wall_s=%.3f\n",
         (unsigned long long)tot.files, (unsigned long long)tot.bytes,
         (unsigned long long)tot.nodes, (unsigned long long)tot.named_nodes,
         (unsigned long long)tot.error_files, (unsigned long long)tot.unreadable, jobs, wall);
  for (size_t i = 0; i < npaths; i++) free(paths[i]);
  free(paths);
  free(st);
  free(th);
  return tot.unreadable ? 1 : 0;
}
