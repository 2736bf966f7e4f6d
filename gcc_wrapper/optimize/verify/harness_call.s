# llmcc differential-test trampoline: calls one function through the System V ABI and checks
# that it kept the ABI's promises (after FFmpeg's checkasm).
#
#   void llmcc_call(struct llmcc_frame *f)
#
# struct llmcc_frame (all 8-byte fields):
#     0 fn            function to call
#     8 iargs[6]      rdi rsi rdx rcx r8 r9, full 64 bits (the harness puts garbage in the upper
#                     half of 32-bit arguments)
#    56 fargs[8]      low 64 bits of xmm0..xmm7 (upper 64 bits get the garbage word)
#   120 rax, 128 rdx  results
#   136 xmm0[2], 152 xmm1[2]
#   168 violations    bit set per broken promise (see below)
#   176 garbage       the poison word for caller-saved registers and unused lanes
#
# Violation bits: 1 rbx, 2 rbp, 4 r12, 8 r13, 16 r14, 32 r15 not preserved; 64 rsp not restored;
# 128 direction flag left set; 256 MXCSR control bits changed; 512 x87 control word changed;
# 1024 the caller's stack above the return address written; 2048 x87/MMX registers left in use
# (the tag word is not all-empty: a missing fstp or emms).

	.text
	.globl	llmcc_call
	.type	llmcc_call, @function
llmcc_call:
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	# 9 words of canary above the return address; keeps rsp 16-byte aligned at the call.
	subq	$72, %rsp
	movabsq	$0x5ca1ab1e0ddba11, %rax
	movq	%rax, 0(%rsp)
	movq	%rax, 8(%rsp)
	movq	%rax, 16(%rsp)
	movq	%rax, 24(%rsp)
	movq	%rax, 32(%rsp)
	movq	%rax, 40(%rsp)
	movq	%rax, 48(%rsp)
	movq	%rax, 56(%rsp)
	movq	%rax, 64(%rsp)
	movq	%rdi, llmcc_frame(%rip)
	movq	0(%rdi), %rax
	movq	%rax, llmcc_fn(%rip)
	stmxcsr	llmcc_mxcsr(%rip)
	fnstcw	llmcc_fpucw(%rip)
	movq	%rsp, llmcc_rsp(%rip)
	# Floating-point arguments; garbage in the upper lanes, and in the registers that carry none.
	movq	56(%rdi), %xmm0
	movhps	176(%rdi), %xmm0
	movq	64(%rdi), %xmm1
	movhps	176(%rdi), %xmm1
	movq	72(%rdi), %xmm2
	movhps	176(%rdi), %xmm2
	movq	80(%rdi), %xmm3
	movhps	176(%rdi), %xmm3
	movq	88(%rdi), %xmm4
	movhps	176(%rdi), %xmm4
	movq	96(%rdi), %xmm5
	movhps	176(%rdi), %xmm5
	movq	104(%rdi), %xmm6
	movhps	176(%rdi), %xmm6
	movq	112(%rdi), %xmm7
	movhps	176(%rdi), %xmm7
	movq	176(%rdi), %xmm8
	movhps	176(%rdi), %xmm8
	movdqa	%xmm8, %xmm9
	movdqa	%xmm8, %xmm10
	movdqa	%xmm8, %xmm11
	movdqa	%xmm8, %xmm12
	movdqa	%xmm8, %xmm13
	movdqa	%xmm8, %xmm14
	movdqa	%xmm8, %xmm15
	# Callee-saved registers get canaries; caller-saved ones garbage.
	movabsq	$0x1b1b1b1b1b1b1b1b, %rbx
	movabsq	$0x2b2b2b2b2b2b2b2b, %rbp
	movabsq	$0x1c1c1c1c1c1c1c1c, %r12
	movabsq	$0x1d1d1d1d1d1d1d1d, %r13
	movabsq	$0x1e1e1e1e1e1e1e1e, %r14
	movabsq	$0x1f1f1f1f1f1f1f1f, %r15
	movq	176(%rdi), %rax
	movq	%rax, %r10
	movq	%rax, %r11
	movq	16(%rdi), %rsi
	movq	24(%rdi), %rdx
	movq	32(%rdi), %rcx
	movq	40(%rdi), %r8
	movq	48(%rdi), %r9
	movq	8(%rdi), %rdi
	call	*llmcc_fn(%rip)
	movq	llmcc_frame(%rip), %r11
	movq	%rax, 120(%r11)
	movq	%rdx, 128(%r11)
	movdqu	%xmm0, 136(%r11)
	movdqu	%xmm1, 152(%r11)
	xorl	%eax, %eax
	movabsq	$0x1b1b1b1b1b1b1b1b, %rcx
	cmpq	%rcx, %rbx
	je	1f
	orq	$1, %rax
1:	movabsq	$0x2b2b2b2b2b2b2b2b, %rcx
	cmpq	%rcx, %rbp
	je	1f
	orq	$2, %rax
1:	movabsq	$0x1c1c1c1c1c1c1c1c, %rcx
	cmpq	%rcx, %r12
	je	1f
	orq	$4, %rax
1:	movabsq	$0x1d1d1d1d1d1d1d1d, %rcx
	cmpq	%rcx, %r13
	je	1f
	orq	$8, %rax
1:	movabsq	$0x1e1e1e1e1e1e1e1e, %rcx
	cmpq	%rcx, %r14
	je	1f
	orq	$16, %rax
1:	movabsq	$0x1f1f1f1f1f1f1f1f, %rcx
	cmpq	%rcx, %r15
	je	1f
	orq	$32, %rax
1:	cmpq	llmcc_rsp(%rip), %rsp
	je	1f
	orq	$64, %rax
	movq	llmcc_rsp(%rip), %rsp
1:	pushfq
	popq	%rcx
	testq	$0x400, %rcx
	je	1f
	orq	$128, %rax
	cld
1:	stmxcsr	llmcc_scratch(%rip)
	movl	llmcc_scratch(%rip), %ecx
	xorl	llmcc_mxcsr(%rip), %ecx
	testl	$0xffc0, %ecx
	je	1f
	orq	$256, %rax
	ldmxcsr	llmcc_mxcsr(%rip)
1:	fnstcw	llmcc_scratch(%rip)
	movzwl	llmcc_scratch(%rip), %ecx
	movzwl	llmcc_fpucw(%rip), %edx
	cmpl	%edx, %ecx
	je	1f
	orq	$512, %rax
1:	fnstenv	llmcc_env(%rip)
	movzwl	llmcc_env+8(%rip), %ecx
	cmpl	$0xffff, %ecx
	je	1f
	orq	$2048, %rax
	emms
1:	fldcw	llmcc_fpucw(%rip)
	movabsq	$0x5ca1ab1e0ddba11, %rcx
	xorl	%edx, %edx
2:	cmpq	%rcx, (%rsp,%rdx,8)
	je	3f
	orq	$1024, %rax
3:	incq	%rdx
	cmpq	$9, %rdx
	jne	2b
	movq	%rax, 168(%r11)
	addq	$72, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.size	llmcc_call, .-llmcc_call

# Callbacks, passed for function-pointer parameters: llmcc_cbN records its index N, then the
# common part saves the argument registers, its entry stack pointer and the flags in llmcc_cb
# (struct llmcc_cbstate, harness_main.c), and calls llmcc_callback_body on a 16-byte aligned stack
# (whatever the caller's alignment: the body checks it, and records the call and computes the
# result). Before returning that result it overwrites every other caller-saved register, the upper
# lanes of xmm0, and the 128 bytes below its stack pointer -- with the return address, its caller's
# whole red zone -- with garbage: a caller that keeps anything there across the call loses it.
#
# struct llmcc_cbstate (all 8-byte fields): 0 i[6] rdi..r9, 48 x[8] low halves of xmm0..7,
# 112 rsp at entry, 120 index, 128 rax, 136 xmm0 (results), 144 garbage, 152 rflags at entry.

	.globl	llmcc_cb0, llmcc_cb1, llmcc_cb2, llmcc_cb3
	.type	llmcc_cb0, @function
llmcc_cb0:
	movq	$0, llmcc_cb+120(%rip)
	jmp	llmcc_cb_common
	.size	llmcc_cb0, .-llmcc_cb0
	.type	llmcc_cb1, @function
llmcc_cb1:
	movq	$1, llmcc_cb+120(%rip)
	jmp	llmcc_cb_common
	.size	llmcc_cb1, .-llmcc_cb1
	.type	llmcc_cb2, @function
llmcc_cb2:
	movq	$2, llmcc_cb+120(%rip)
	jmp	llmcc_cb_common
	.size	llmcc_cb2, .-llmcc_cb2
	.type	llmcc_cb3, @function
llmcc_cb3:
	movq	$3, llmcc_cb+120(%rip)
	jmp	llmcc_cb_common
	.size	llmcc_cb3, .-llmcc_cb3

	.type	llmcc_cb_common, @function
llmcc_cb_common:
	movq	%rdi, llmcc_cb+0(%rip)
	movq	%rsi, llmcc_cb+8(%rip)
	movq	%rdx, llmcc_cb+16(%rip)
	movq	%rcx, llmcc_cb+24(%rip)
	movq	%r8, llmcc_cb+32(%rip)
	movq	%r9, llmcc_cb+40(%rip)
	movq	%xmm0, llmcc_cb+48(%rip)
	movq	%xmm1, llmcc_cb+56(%rip)
	movq	%xmm2, llmcc_cb+64(%rip)
	movq	%xmm3, llmcc_cb+72(%rip)
	movq	%xmm4, llmcc_cb+80(%rip)
	movq	%xmm5, llmcc_cb+88(%rip)
	movq	%xmm6, llmcc_cb+96(%rip)
	movq	%xmm7, llmcc_cb+104(%rip)
	movq	%rsp, llmcc_cb+112(%rip)
	pushfq
	popq	llmcc_cb+152(%rip)
	cld
	andq	$-16, %rsp
	call	llmcc_callback_body
	movq	llmcc_cb+112(%rip), %rsp
	movq	llmcc_cb+144(%rip), %rax
	movq	%rax, -8(%rsp)
	movq	%rax, -16(%rsp)
	movq	%rax, -24(%rsp)
	movq	%rax, -32(%rsp)
	movq	%rax, -40(%rsp)
	movq	%rax, -48(%rsp)
	movq	%rax, -56(%rsp)
	movq	%rax, -64(%rsp)
	movq	%rax, -72(%rsp)
	movq	%rax, -80(%rsp)
	movq	%rax, -88(%rsp)
	movq	%rax, -96(%rsp)
	movq	%rax, -104(%rsp)
	movq	%rax, -112(%rsp)
	movq	%rax, -120(%rsp)
	movq	%rax, -128(%rsp)
	movq	%rax, %rcx
	movq	%rax, %rdx
	movq	%rax, %rsi
	movq	%rax, %rdi
	movq	%rax, %r8
	movq	%rax, %r9
	movq	%rax, %r10
	movq	%rax, %r11
	movq	%rax, %xmm1
	punpcklqdq	%xmm1, %xmm1
	movdqa	%xmm1, %xmm2
	movdqa	%xmm1, %xmm3
	movdqa	%xmm1, %xmm4
	movdqa	%xmm1, %xmm5
	movdqa	%xmm1, %xmm6
	movdqa	%xmm1, %xmm7
	movdqa	%xmm1, %xmm8
	movdqa	%xmm1, %xmm9
	movdqa	%xmm1, %xmm10
	movdqa	%xmm1, %xmm11
	movdqa	%xmm1, %xmm12
	movdqa	%xmm1, %xmm13
	movdqa	%xmm1, %xmm14
	movdqa	%xmm1, %xmm15
	# the wider state, where the CPU has it (llmcc_cb_vec, set by harness_main.c): the upper
	# lanes of ymm/zmm, zmm16-31 and the mask registers are caller-saved too
	cmpl	$0, llmcc_cb_vec(%rip)
	je	2f
	vinsertf128	$1, %xmm1, %ymm1, %ymm1
	vmovdqa	%ymm1, %ymm2
	vmovdqa	%ymm1, %ymm3
	vmovdqa	%ymm1, %ymm4
	vmovdqa	%ymm1, %ymm5
	vmovdqa	%ymm1, %ymm6
	vmovdqa	%ymm1, %ymm7
	vmovdqa	%ymm1, %ymm8
	vmovdqa	%ymm1, %ymm9
	vmovdqa	%ymm1, %ymm10
	vmovdqa	%ymm1, %ymm11
	vmovdqa	%ymm1, %ymm12
	vmovdqa	%ymm1, %ymm13
	vmovdqa	%ymm1, %ymm14
	vmovdqa	%ymm1, %ymm15
	vmovdqa	%ymm1, %ymm0
	cmpl	$2, llmcc_cb_vec(%rip)
	jne	1f
	vinserti64x4	$1, %ymm1, %zmm1, %zmm1
	vmovdqa64	%zmm1, %zmm0
	vmovdqa64	%zmm1, %zmm2
	vmovdqa64	%zmm1, %zmm3
	vmovdqa64	%zmm1, %zmm4
	vmovdqa64	%zmm1, %zmm5
	vmovdqa64	%zmm1, %zmm6
	vmovdqa64	%zmm1, %zmm7
	vmovdqa64	%zmm1, %zmm8
	vmovdqa64	%zmm1, %zmm9
	vmovdqa64	%zmm1, %zmm10
	vmovdqa64	%zmm1, %zmm11
	vmovdqa64	%zmm1, %zmm12
	vmovdqa64	%zmm1, %zmm13
	vmovdqa64	%zmm1, %zmm14
	vmovdqa64	%zmm1, %zmm15
	vmovdqa64	%zmm1, %zmm16
	vmovdqa64	%zmm1, %zmm17
	vmovdqa64	%zmm1, %zmm18
	vmovdqa64	%zmm1, %zmm19
	vmovdqa64	%zmm1, %zmm20
	vmovdqa64	%zmm1, %zmm21
	vmovdqa64	%zmm1, %zmm22
	vmovdqa64	%zmm1, %zmm23
	vmovdqa64	%zmm1, %zmm24
	vmovdqa64	%zmm1, %zmm25
	vmovdqa64	%zmm1, %zmm26
	vmovdqa64	%zmm1, %zmm27
	vmovdqa64	%zmm1, %zmm28
	vmovdqa64	%zmm1, %zmm29
	vmovdqa64	%zmm1, %zmm30
	vmovdqa64	%zmm1, %zmm31
	kmovw	%eax, %k1
	kmovw	%eax, %k2
	kmovw	%eax, %k3
	kmovw	%eax, %k4
	kmovw	%eax, %k5
	kmovw	%eax, %k6
	kmovw	%eax, %k7
1:	vmovq	llmcc_cb+136(%rip), %xmm0
	vmovhps	llmcc_cb+144(%rip), %xmm0, %xmm0
	vinsertf128	$1, %xmm1, %ymm0, %ymm0
	movq	llmcc_cb+128(%rip), %rax
	ret
2:	movq	llmcc_cb+136(%rip), %xmm0
	movhps	llmcc_cb+144(%rip), %xmm0
	movq	llmcc_cb+128(%rip), %rax
	ret
	.size	llmcc_cb_common, .-llmcc_cb_common

	# llmcc_rsp is global: a callback tells pointers into the caller's stack by it
	.local	llmcc_frame, llmcc_fn, llmcc_mxcsr, llmcc_fpucw, llmcc_scratch, llmcc_env
	.comm	llmcc_env, 32, 8
	.comm	llmcc_frame, 8, 8
	.comm	llmcc_fn, 8, 8
	.comm	llmcc_rsp, 8, 8
	.comm	llmcc_mxcsr, 4, 4
	.comm	llmcc_fpucw, 4, 4
	.comm	llmcc_scratch, 4, 4
	.section	.note.GNU-stack,"",@progbits
