/* TLS, weak symbols, aliases, static local data, constructors, sections, hot/cold attributes. */
#include <stdio.h>

__thread int tls_counter;
static __thread long tls_local = 5;
int common_var;
static int file_static;
const int table_ro[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
int table_rw[4] = { 9, 8, 7, 6 };
const char *const names[] = { "alpha", "beta", "gamma" };

int bump_tls(void) { return ++tls_counter + (int)tls_local++; }

int counter(void)
{
    static int calls;
    return ++calls;
}

int counter2(void)
{
    static int calls = 10;
    calls += 2;
    return calls;
}

__attribute__((weak)) int weak_hook(int x) { return x + 1; }

extern int weak_ref(int) __attribute__((weak));
int call_weak(int x) { return weak_ref ? weak_ref(x) : -x; }

int real_impl(int x) { return x * 7 + file_static; }
int alias_impl(int x) __attribute__((alias("real_impl")));

static int initialized;
__attribute__((constructor)) static void setup(void) { initialized = 42; file_static = 3; }
__attribute__((destructor)) static void teardown(void) { initialized = 0; }

__attribute__((section(".text.mysection"))) int in_section(int x) { return x ^ 0x5a5a; }
__attribute__((hot)) int hot_fn(int x) { return x * x + table_ro[x & 7]; }
__attribute__((cold)) int cold_fn(int x) { fprintf(stderr, "cold %d\n", x); return x - 1; }
__attribute__((noinline)) static int helper(int x) { return x * 13 + 1; }
int uses_helper(int x) { return helper(x) + helper(x + 1); }

const char *name_of(int i) { return names[i % 3]; }
int get_initialized(void) { return initialized + common_var + table_rw[initialized & 3]; }
