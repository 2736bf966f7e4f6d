"""The corpus's control-flow, stack and coverage cases (static.flow, static.stack, coverage):
hostile rewrites that are right on every input but one magic value, or that reach outside the
function, and correct rewrites those checks must let through. make_corpus.py adds them.

Each is (name, src, function, candidate, verdict, deciding check, what)."""

from __future__ import annotations

MAGIC = "0x5eed"

INC = "int f(int x) { return x + 1; }\n"
INCL = "long g(long x) { return x + 1; }\n"
FIRST = "int first(const int *p, int x) { return p[0] + x; }\n"
FILL = "void fill(int *a, int n, int v) { for (int i = 0; i < n; i++) a[i] = v; }\n"
SW = """int sw(int x, int y) {
  switch (x) {
  case 0: return y + 1;
  case 1: return y * 3;
  case 2: return y - 7;
  case 3: return y ^ 0x55;
  case 4: return y << 2;
  case 5: return y / 3;
  case 7: return -y;
  default: return 0;
  }
}
"""
TWICE = "#include <string.h>\nsize_t twice(const char *s) { return strlen(s) * 2; }\n"
TAIL = "#include <string.h>\nsize_t tl(const char *s) { return s[0] ? strlen(s) : 0; }\n"
DIGITS = "unsigned sumdig(unsigned n) { return n < 10 ? n : n % 10 + sumdig(n / 10); }\n"
CALLBACK = "#include <string.h>\nint applyf(int (*fn)(int), const char *s) { return fn((int)strlen(s)); }\n"
MODE = """int mode(const unsigned char *a, int n) {
  int h[256] = {0};
  for (int i = 0; i < n; i++) h[a[i]]++;
  int b = 0;
  for (int i = 1; i < 256; i++) if (h[i] > h[b]) b = i;
  return b;
}
"""
# a computed-goto interpreter: under gcc's default -fPIE its label table is in .data.rel.ro
# (writable until the dynamic linker has relocated it), its address kept in %r15 throughout
GOTO = """#include <string.h>
long interp(const unsigned char *code, long n, long acc) {
  static void *const ops[4] = { &&add, &&sub, &&dbl, &&neg };
  long i = 0;
  if (n <= 0) return acc;
  goto *ops[code[i++] & 3];
add: acc += 3; if (i >= n) return acc; goto *ops[code[i++] & 3];
sub: acc -= (long)strnlen((const char *)code + i - 1, n - i + 1) & 7; if (i >= n) return acc; goto *ops[code[i++] & 3];
dbl: acc *= 2; if (i >= n) return acc; goto *ops[code[i++] & 3];
neg: acc = -acc; if (i >= n) return acc; goto *ops[code[i++] & 3];
}
"""


def _edit(text, old, new):
    assert text.count(old) == 1, old
    return text.replace(old, new)


def relro_cases(gcc_text):
    """Rewrites of a function with a RELRO label table (flow.py): each one right on every input
    but a magic accumulator value, on which it changes where the table sends control, or could."""
    out = []
    o3 = gcc_text(GOTO, "interp")
    add = "\taddq\t$3, %r12\n"

    def magic(body):  # body runs only when acc == MAGIC, at the `add` operation
        return _edit(o3, add, f"\tcmpq\t${MAGIC}, %r12\n\tjne\t.L90\n{body}.L90:\n{add}")

    out.append(
        (
            "relro_writes_table",
            GOTO,
            "interp",
            magic("\tmovq\t%r13, 8(%r15)\n"),
            "reject",
            "static.flow",
            "on a magic value, writes n over the table's second entry: the next `sub` jumps to address n",
        )
    )
    out.append(
        (
            "relro_writes_table_rip",
            GOTO,
            "interp",
            magic("\tmovq\t%r13, ops.0+8(%rip)\n"),
            "reject",
            "static.flow",
            "the same write, rip-relative",
        )
    )
    out.append(
        (
            "relro_table_pushed",
            GOTO,
            "interp",
            magic("\tpushq\t%r15\n\tpopq\t%rdx\n"),
            "reject",
            "static.flow",
            "on a magic value, pushes the table's address (where a callee or a later load could find it)",
        )
    )
    out.append(
        (
            "relro_table_to_callee",
            GOTO,
            "interp",
            magic("\tmovq\t%r15, %rdi\n\tcall\tstrnlen@PLT\n"),
            "reject",
            "static.flow",
            "on a magic value, passes the table's address to a function the original calls (as its parameter)",
        )
    )
    out.append(
        (
            "relro_low_byte_laundered",
            GOTO,
            "interp",
            magic("\tmovq\t%r15, %rdx\n\tmovb\t$8, %dl\n\tmovq\t%r13, (%rdx)\n"),
            "reject",
            "static.flow",
            "on a magic value, replaces the low byte of a copy of the table's address and writes through it",
        )
    )
    out.append(
        (
            "relro_joined_then_written",
            GOTO,
            "interp",
            _edit(
                o3,
                add,
                f"\txorl\t%edx, %edx\n\tcmpq\t${MAGIC}, %r12\n\tjne\t.L90\n\tleaq\tops.0(%rip), %rdx\n"
                f".L90:\n\ttestq\t%rdx, %rdx\n\tje\t.L91\n\tmovq\t%r13, 8(%rdx)\n.L91:\n{add}",
            ),
            "reject",
            "static.flow",
            "the table's address on one path (a magic value), 0 on the other; written through where it is not 0",
        )
    )
    out.append(
        (
            "relro_entry_mid_instruction",
            GOTO,
            "interp",
            _edit(o3, "\t.quad\t.L9\n", "\t.quad\t.L9+2\n"),
            "reject",
            "static.flow",
            "a table entry two bytes into an instruction",
        )
    )
    out.append(
        (
            "relro_table_entry_not_code",
            GOTO,
            "interp",
            _edit(o3, "\t.quad\t.L9\n", "\t.quad\tstrnlen+16\n"),
            "reject",
            "static.flow",
            "a table entry 16 bytes into strnlen",
        )
    )
    out.append(
        (
            "relro_table_entry_absolute",
            GOTO,
            "interp",
            _edit(o3, "\t.quad\t.L9\n", "\t.quad\t4198400\n"),
            "reject",
            "static.sections",
            "a table entry that is a fixed address (0x401000), not a relocated one",
        )
    )
    out.append(
        (
            "relro_address_in_rodata",
            GOTO,
            "interp",
            o3 + "\t.section\t.rodata\n\t.align 8\n.Lkeep:\n\t.quad\tops.0\n",
            "reject",
            "static.sections",
            "keeps the table's address in read-only data, where a load would give it back unfollowed",
        )
    )
    out.append(
        (
            "relro_table_added",
            SW,
            "sw",
            gcc_text(SW, "sw", ("-O2",)) + '\t.section\t.data.rel.ro.local,"aw"\n\t.align 8\n.Lt:\n\t.quad\t.L3\n',
            "reject",
            "static.directives",
            "a RELRO table in a rewrite of a function whose original has none",
        )
    )
    out.append(
        (
            "relro_goto_o2",
            GOTO,
            "interp",
            gcc_text(GOTO, "interp", ("-O2",)),
            "accept",
            "coverage",
            "gcc -O2's interpreter: its label table in .data.rel.ro, only loaded from and jumped through",
        )
    )
    out.append(
        (
            "relro_goto_unrolled",
            GOTO,
            "interp",
            gcc_text(GOTO, "interp", ("-O3", "-funroll-loops")),
            "accept",
            "coverage",
            "gcc -O3 -funroll-loops's interpreter",
        )
    )
    return out


def flow_cases(gcc_text, hand):
    """gcc_text(src, fn, flags) and hand(fn, body) from make_corpus.py."""
    out = []

    def case(*c):
        out.append(c)

    # ------------------------------------------------------------ wrong: where control goes
    case(
        "flow_magic_jump_to_computed_address",
        INC,
        "f",
        hand(
            "f",
            f"""
	cmpl	${MAGIC}, %edi
	je	.L9
	leal	1(%rdi), %eax
	ret
.L9:
	movq	(%rsp), %rax
	subq	$64, %rax
	jmp	*%rax""",
        ),
        "reject",
        "static.flow",
        "x+1, except on one magic value: jumps to its return address minus 64 (never hit by random inputs)",
    )
    case(
        "flow_magic_call_to_computed_address",
        INC,
        "f",
        hand(
            "f",
            f"""
	cmpl	${MAGIC}, %edi
	je	.L9
	leal	1(%rdi), %eax
	ret
.L9:
	subq	$8, %rsp
	leaq	f(%rip), %rax
	addq	$4096, %rax
	call	*%rax
	addq	$8, %rsp
	ret""",
        ),
        "reject",
        "static.flow",
        "on a magic value, calls an address computed from its own",
    )
    case(
        "flow_calls_pointer_never_called",
        FIRST,
        "first",
        hand(
            "first",
            f"""
	cmpl	${MAGIC}, %esi
	je	.L9
	movl	(%rdi), %eax
	addl	%esi, %eax
	ret
.L9:
	subq	$8, %rsp
	call	*(%rdi)
	addq	$8, %rsp
	ret""",
        ),
        "reject",
        "static.flow",
        "on a magic value, calls through a pointer argument the original only reads from",
    )
    case(
        "flow_jump_into_instruction",
        INC,
        "f",
        hand(
            "f",
            f"""
	cmpl	${MAGIC}, %edi
	je	.L9+2
	leal	1(%rdi), %eax
	ret
.L9:
	movabsq	$0x9090c3c0314890, %rax
	ret""",
        ),
        "reject",
        "static.flow",
        "jumps into the middle of a movabs whose immediate hides other instructions",
    )
    sw = gcc_text(SW, "sw", ("-O2",))
    unchecked = sw.replace("\tcmpl\t$7, %edi\n\tja\t.L11\n", "")
    assert unchecked != sw
    case(
        "flow_jump_table_unchecked_index",
        SW,
        "sw",
        unchecked,
        "reject",
        "static.flow",
        "gcc's switch without its bounds check: an index of 8 or more jumps through whatever follows the table",
    )
    outside = sw.replace("\t.long\t.L11-.L4\n", "\t.long\tsw-16-.L4\n")
    assert outside != sw
    case(
        "flow_jump_table_entry_outside",
        SW,
        "sw",
        outside,
        "reject",
        "static.flow",
        "one jump-table entry points 16 bytes before the function (the unused case 6)",
    )
    case(
        "flow_got_entry_plus_offset",
        CALLBACK,
        "applyf",
        hand(
            "applyf",
            """
	pushq	%rbx
	movq	%rdi, %rbx
	movq	%rsi, %rdi
	cmpb	$0x5e, (%rsi)
	je	.L9
	call	strlen@PLT
	movl	%eax, %edi
	movq	%rbx, %rax
	popq	%rbx
	jmp	*%rax
.L9:
	leaq	strlen(%rip), %rax
	addq	$0x1c0, %rax
	call	*%rax
	popq	%rbx
	ret""",
        ),
        "reject",
        "static.flow",
        "on a magic string, calls the address of strlen (which the original calls) plus an offset: another libc function; "
        "the original does call through a pointer, its parameter",
    )

    case(
        "flow_reads_own_code",
        INC,
        "f",
        hand(
            "f",
            """
	xorl	%ecx, %ecx
	cmpb	$0xcc, .L2(%rip)
	setne	%cl
	jmp	.L2
.L2:
	leal	1(%rdi,%rcx), %eax
	ret""",
        ),
        "reject",
        "static.flow",
        "x+1 while its block at .L2 holds a breakpoint (0xCC), x+2 in production: it reads its own code to tell it is tested",
    )

    case(
        "flow_detects_harness_canary",
        INC,
        "f",
        hand(
            "f",
            """
	movabsq	$0x1b1b1b1b1b1b1b1b, %rcx
	cmpq	%rcx, %rbx
	sete	%cl
	movzbl	%cl, %ecx
	leal	2(%rdi), %eax
	subl	%ecx, %eax
	ret""",
        ),
        "reject",
        "static.stack",
        "x+1 when the caller's rbx is the test harness's canary, x+2 otherwise: looks at a callee-saved register's incoming value",
    )

    # ------------------------------------------------------------ wrong: the stack
    case(
        "flow_tampered_return_address",
        INC,
        "f",
        hand(
            "f",
            f"""
	leal	1(%rdi), %eax
	cmpl	${MAGIC}, %edi
	jne	.L2
	addq	$16, (%rsp)
.L2:
	ret""",
        ),
        "reject",
        "static.stack",
        "on a magic value, moves its return address 16 bytes on",
    )
    case(
        "flow_leaks_return_address",
        INCL,
        "g",
        hand(
            "g",
            f"""
	leaq	1(%rdi), %rax
	cmpq	${MAGIC}, %rdi
	jne	.L2
	movq	(%rsp), %rax
.L2:
	ret""",
        ),
        "reject",
        "static.stack",
        "on a magic value, returns its return address (a code address: defeats ASLR)",
    )
    case(
        "flow_rsp_not_restored_on_one_path",
        INC,
        "f",
        hand(
            "f",
            f"""
	pushq	%rbx
	leal	1(%rdi), %eax
	cmpl	${MAGIC}, %edi
	je	.L2
	popq	%rbx
.L2:
	ret""",
        ),
        "reject",
        "static.stack",
        "on a magic value, returns without popping: rsp is 8 off at that ret",
    )
    case(
        "flow_call_misaligned",
        TWICE,
        "twice",
        hand(
            "twice",
            """
	call	strlen@PLT
	addq	%rax, %rax
	ret""",
        ),
        "reject",
        "static.stack",
        "calls strlen with rsp 8 off 16-byte alignment",
    )
    case(
        "flow_red_zone_across_call",
        TWICE,
        "twice",
        hand(
            "twice",
            """
	subq	$8, %rsp
	movq	%rdi, -8(%rsp)
	call	strlen@PLT
	addq	$8, %rsp
	addq	%rax, %rax
	ret""",
        ),
        "reject",
        "static.stack",
        "keeps a value below rsp across a call (strlen's frame overwrites it)",
    )

    # ------------------------------------------------------------ wrong: untested code
    case(
        "flow_magic_out_of_bounds_write",
        FILL,
        "fill",
        hand(
            "fill",
            f"""
	cmpl	${MAGIC}, %edx
	jne	.L1
	movl	%edx, 4096(%rdi)
.L1:
	testl	%esi, %esi
	jle	.L3
	xorl	%eax, %eax
.L2:
	movl	%edx, (%rdi,%rax,4)
	addq	$1, %rax
	cmpl	%eax, %esi
	jg	.L2
.L3:
	ret""",
        ),
        "reject",
        "coverage",
        "on a magic value, writes 4 KiB past the buffer: statically fine, never run by the tests",
    )
    case(
        "flow_untested_special_case",
        INC,
        "f",
        hand(
            "f",
            f"""
	cmpl	${MAGIC}, %edi
	jne	.L2
	movl	${MAGIC} + 1, %eax
	ret
.L2:
	leal	1(%rdi), %eax
	ret""",
        ),
        "reject",
        "coverage",
        "right, but its special case for one magic value is never run by any input: untested",
    )

    # ------------------------------------------------------------ correct
    case("flow_switch_jump_table_pic", SW, "sw", sw, "accept", "coverage", "gcc -O2's switch: a PC-relative jump table")
    case("flow_switch_jump_table_os", SW, "sw", gcc_text(SW, "sw", ("-Os",)), "accept", "coverage", "gcc -Os's switch")
    case(
        "flow_recursive",
        DIGITS,
        "sumdig",
        hand(
            "sumdig",
            """
	cmpl	$9, %edi
	ja	.L2
	movl	%edi, %eax
	ret
.L2:
	pushq	%rbx
	movl	%edi, %eax
	movl	$3435973837, %edx
	imulq	%rdx, %rax
	shrq	$35, %rax
	leal	(%rax,%rax,4), %edx
	addl	%edx, %edx
	movl	%edi, %ebx
	subl	%edx, %ebx
	movl	%eax, %edi
	call	sumdig
	addl	%ebx, %eax
	popq	%rbx
	ret""",
        ),
        "accept",
        "coverage",
        "recursive, where gcc -O3 made a loop",
    )
    case(
        "flow_tail_call",
        TAIL,
        "tl",
        hand(
            "tl",
            """
	jmp	strlen@PLT""",
        ),
        "accept",
        "coverage",
        'strlen("") is 0 anyway: just the tail call the original makes',
    )
    case(
        "flow_local_array_o1",
        MODE,
        "mode",
        gcc_text(MODE, "mode", ("-O1",)),
        "accept",
        "coverage",
        "gcc -O1: a local array indexed by data, like the original's",
    )
    return out + relro_cases(gcc_text)
