	.text
	.globl	gsort
	.type	gsort, @function
gsort:
.LFB0:
	.cfi_startproc
	pushq	%r15
	.cfi_def_cfa_offset 16
	.cfi_offset 15, -16
	pushq	%r14
	.cfi_def_cfa_offset 24
	.cfi_offset 14, -24
	pushq	%r13
	.cfi_def_cfa_offset 32
	.cfi_offset 13, -32
	pushq	%r12
	.cfi_def_cfa_offset 40
	.cfi_offset 12, -40
	pushq	%rbp
	.cfi_def_cfa_offset 48
	.cfi_offset 6, -48
	pushq	%rbx
	.cfi_def_cfa_offset 56
	.cfi_offset 3, -56
	subq	$56, %rsp
	.cfi_def_cfa_offset 112
	movq	%rdi, 40(%rsp)
	movq	%rsi, 24(%rsp)
	movq	%rdx, %r15
	movq	%rsi, %r13
	shrq	%r13
	cmpq	$1, %rsi
	ja	.L2
.L1:
	addq	$56, %rsp
	.cfi_remember_state
	.cfi_def_cfa_offset 56
	popq	%rbx
	.cfi_def_cfa_offset 48
	popq	%rbp
	.cfi_def_cfa_offset 40
	popq	%r12
	.cfi_def_cfa_offset 32
	popq	%r13
	.cfi_def_cfa_offset 24
	popq	%r14
	.cfi_def_cfa_offset 16
	popq	%r15
	.cfi_def_cfa_offset 8
	ret
.L4:
	.cfi_restore_state
	addq	$1, 8(%rsp)
	movq	8(%rsp), %rax
	addq	$8, 16(%rsp)
	cmpq	%rax, 24(%rsp)
	je	.L6
.L8:
	movq	8(%rsp), %r12
	cmpq	%r13, %r12
	jb	.L4
	movq	16(%rsp), %rbx
	movq	32(%rsp), %rax
	leaq	(%rbx,%rax), %rbp
.L7:
	subq	%r13, %r12
	movq	%rbp, %rsi
	movq	%rbx, %rdi
	call	*%r15
	testl	%eax, %eax
	jle	.L4
	movsd	0(%rbp), %xmm0
	movsd	(%rbx), %xmm1
	movsd	%xmm1, 0(%rbp)
	movsd	%xmm0, (%rbx)
	addq	%r14, %rbx
	addq	%r14, %rbp
	cmpq	%r13, %r12
	jnb	.L7
	jmp	.L4
.L6:
	movq	%r13, %rax
	shrq	%rax
	cmpq	$1, %r13
	jbe	.L1
	movq	%rax, %r13
.L2:
	movq	24(%rsp), %rax
	cmpq	%rax, %r13
	jnb	.L6
	movq	40(%rsp), %rax
	movq	%rax, 16(%rsp)
	movq	%r13, %r14
	negq	%r14
	salq	$3, %r14
	leaq	0(,%r13,8), %rax
	movq	%rax, 32(%rsp)
	movq	%r13, 8(%rsp)
	jmp	.L8
	.cfi_endproc
.LFE0:
	.size	gsort, .-gsort
