# llmcc replayer trampoline: enters a function in a recorded state and comes back.
#
#   void replay_call(void)      enter replay_in (a recorded state) at replay_target
#   replay_landing              where the function returns to (the replayer writes this address
#                               into the recorded return-address slot before the call)
#   replay_sig_entry            the signal handler's first instructions (SA_SIGINFO, on the
#                               alternate stack): the replayer's own fs base back before any C
#
# Layouts (struct user_regs_struct order, as the recorder saved them; 8-byte fields):
#   0 r15 8 r14 16 r13 24 r12 32 rbp 40 rbx 48 r11 56 r10 64 r9 72 r8 80 rax 88 rcx 96 rdx
#   104 rsi 112 rdi 120 orig_rax 128 rip 136 cs 144 eflags 152 rsp 160 ss 168 fs_base 176 gs_base
# replay_in_fx / replay_out_fx: 512-byte fxsave areas (xmm0-15, MXCSR, x87 control and tags).
#
# The function runs on the recorded stack with the recorded fs base (its TLS); the replayer's own
# stack pointer and fs base are kept in globals, so nothing of the replayer's lies where the
# function can reach by accident.

	.text
	.globl	replay_call
	.type	replay_call, @function
replay_call:
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	subq	$8, %rsp
	stmxcsr	replay_host_mxcsr(%rip)
	fnstcw	replay_host_fpucw(%rip)
	movq	%rsp, replay_host_rsp(%rip)
	# the recorded fs base (a system call when the CPU has no wrfsbase: before the registers)
	movq	replay_in+168(%rip), %rsi
	call	replay_set_fs
	fxrstor	replay_in_fx(%rip)
	# flags: only the arithmetic ones and DF travel (no TF, no AC, no IF games)
	movq	replay_in+144(%rip), %rax
	andq	$0xcd5, %rax
	pushq	%rax
	popfq
	leaq	replay_in(%rip), %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rax
	popq	%rcx
	popq	%rdx
	popq	%rsi
	popq	%rdi
	movq	32(%rsp), %rsp        # replay_in+152: the recorded rsp; [rsp] is replay_landing
	jmp	*replay_target(%rip)

	.globl	replay_landing
replay_landing:
	movq	%r15, replay_out+0(%rip)
	movq	%r14, replay_out+8(%rip)
	movq	%r13, replay_out+16(%rip)
	movq	%r12, replay_out+24(%rip)
	movq	%rbp, replay_out+32(%rip)
	movq	%rbx, replay_out+40(%rip)
	movq	%r11, replay_out+48(%rip)
	movq	%r10, replay_out+56(%rip)
	movq	%r9, replay_out+64(%rip)
	movq	%r8, replay_out+72(%rip)
	movq	%rax, replay_out+80(%rip)
	movq	%rcx, replay_out+88(%rip)
	movq	%rdx, replay_out+96(%rip)
	movq	%rsi, replay_out+104(%rip)
	movq	%rdi, replay_out+112(%rip)
	movq	%rsp, replay_out+152(%rip)
	# flags through the recorded return slot, which the call has consumed (rsp-8 is it)
	pushfq
	popq	replay_out+144(%rip)
	fxsave	replay_out_fx(%rip)
	emms                          # an x87 stack left full is recorded (fxsave), not inherited
	cld
	movq	replay_host_rsp(%rip), %rsp
	movq	replay_host_fs(%rip), %rsi
	call	replay_set_fs
	ldmxcsr	replay_host_mxcsr(%rip)
	fldcw	replay_host_fpucw(%rip)
	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.size	replay_call, .-replay_call

# replay_set_fs: fs base = %rsi; clobbers rax, rcx, rdi, r11
	.type	replay_set_fs, @function
replay_set_fs:
	cmpl	$0, replay_fsgsbase(%rip)
	je	1f
	wrfsbase %rsi
	ret
1:	movl	$158, %eax            # arch_prctl(ARCH_SET_FS, rsi)
	movl	$0x1002, %edi
	syscall
	ret
	.size	replay_set_fs, .-replay_set_fs

# Signal handler entry (rdi sig, rsi info, rdx ucontext; on the alternate stack). The interrupted
# code may run with the recorded fs base: the replayer's goes back before any C runs, and comes
# back out if replay_on_signal handled the signal (a coverage breakpoint) and the code resumes.
	.globl	replay_sig_entry
	.type	replay_sig_entry, @function
replay_sig_entry:
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	movq	%rdi, %rbx
	movq	%rsi, %r12
	movq	%rdx, %r13
	subq	$16, %rsp
	cmpl	$0, replay_fsgsbase(%rip)
	je	1f
	rdfsbase %rax
	movq	%rax, (%rsp)
	jmp	2f
1:	movl	$158, %eax            # arch_prctl(ARCH_GET_FS, rsp)
	movl	$0x1003, %edi
	movq	%rsp, %rsi
	syscall
2:	movq	replay_host_fs(%rip), %rsi
	call	replay_set_fs
	movq	%rbx, %rdi
	movq	%r12, %rsi
	movq	%r13, %rdx
	call	replay_on_signal       # returns only when the interrupted code may resume
	movq	(%rsp), %rsi
	call	replay_set_fs
	addq	$16, %rsp
	popq	%r13
	popq	%r12
	popq	%rbx
	ret
	.size	replay_sig_entry, .-replay_sig_entry

	.globl	replay_in, replay_out, replay_in_fx, replay_out_fx, replay_target, replay_host_fs, replay_fsgsbase
	.bss
	.p2align 6
replay_in:	.zero	216
replay_out:	.zero	216
	.p2align 6
replay_in_fx:	.zero	512
replay_out_fx:	.zero	512
replay_target:	.zero	8
replay_host_fs:	.zero	8
replay_host_rsp:	.zero	8
replay_fsgsbase:	.zero	4
replay_host_mxcsr:	.zero	4
replay_host_fpucw:	.zero	4
	.section	.note.GNU-stack,"",@progbits
