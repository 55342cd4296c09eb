/* Callgrind client requests for gilbench's exact instruction counts
 * (harness/instructions.py compiles this with the C compiler and loads it
 * with ctypes).  It lives with the suite, not in the measured package, so
 * that every commit is counted by the same instruments.  Under valgrind
 * --tool=callgrind the requests reset the counters and write one profile
 * dump per measured call; elsewhere they do nothing. */
#include <valgrind/callgrind.h>

void gilbench_cg_zero(void) { CALLGRIND_ZERO_STATS; }

void gilbench_cg_dump(const char *label) { CALLGRIND_DUMP_STATS_AT(label); }

int gilbench_cg_on_valgrind(void) { return RUNNING_ON_VALGRIND; }
