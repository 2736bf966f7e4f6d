/* llmcc coverage: one-shot breakpoints at the basic blocks of the function under test
 * (coverage.c). A harness arms them once, routes SIGTRAP to llmcc_cov_trap first, and reports
 * at the end:
 *
 *     llmcc_cov_load(path, (uintptr_t)fn)     or llmcc_cov_arm(fn, offsets, n)
 *     in its SIGTRAP handler (SA_SIGINFO, on the alternate stack):
 *         if (llmcc_cov_trap(si, uc)) return;   ...otherwise a crash, as before
 *     llmcc_cov_report(stdout)                 "COVERED i j ..." (indices into the offsets)
 */
#ifndef LLMCC_COVERAGE_H
#define LLMCC_COVERAGE_H
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Arm a breakpoint at fn + offsets[i] for each i; 0, or -1 with a message on stderr. */
int llmcc_cov_arm(uintptr_t fn, const long *offsets, size_t n);
/* Read the offsets from a text file ("n" then n offsets, decimal) and arm them. */
int llmcc_cov_load(const char *path, uintptr_t fn);
/* From a SIGTRAP handler: 1 when the trap was an armed breakpoint, now disarmed, the block
 * marked covered and the interrupted context rewound to re-run the original instruction. */
int llmcc_cov_trap(const siginfo_t *si, void *ucontext);
/* Whether llmcc_cov_arm ran (the harness reports only then). */
int llmcc_cov_armed(void);
void llmcc_cov_report(FILE *out);
#endif
