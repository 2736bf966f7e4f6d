	.section	.data.rel.ro.local,"aw"
	.align 32
	.type	ops.0, @object
	.size	ops.0, 32
ops.0:
	.quad	.L4
	.quad	.L7
	.quad	.L8
	.quad	.L9
	.text
	.p2align 4
	.globl	interp
	.type	interp, @function
interp:
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
	movq	%rdx, %r12
	pushq	%rbp
	.cfi_def_cfa_offset 48
	.cfi_offset 6, -48
	pushq	%rbx
	.cfi_def_cfa_offset 56
	.cfi_offset 3, -56
	subq	$8, %rsp
	.cfi_def_cfa_offset 64
	testq	%rsi, %rsi
	jle	.L1
	movzbl	(%rdi), %eax
	leaq	ops.0(%rip), %r15
	movq	%rdi, %rbx
	movq	%rsi, %r13
	movl	$2, %ebp
	leaq	2(%rsi), %r14
	andl	$3, %eax
	movq	(%r15,%rax,8), %rax
	jmp	*%rax
	.p2align 4,,10
	.p2align 3
.L4:
	leaq	-1(%rbp), %rax
	xorl	%edx, %edx
	cmpq	$0x5eed, %r12
	jne	.L90
	leaq	ops.0(%rip), %rdx
.L90:
	testq	%rdx, %rdx
	je	.L91
	movq	%r13, 8(%rdx)
.L91:
	addq	$3, %r12
	cmpq	%rax, %r13
	jle	.L1
.L17:
	movzbl	1(%rbx), %eax
	addq	$1, %rbp
	addq	$1, %rbx
	andl	$3, %eax
	movq	(%r15,%rax,8), %rax
	jmp	*%rax
	.p2align 4,,10
	.p2align 3
.L9:
	leaq	-1(%rbp), %rax
	negq	%r12
	cmpq	%rax, %r13
	jg	.L17
.L1:
	addq	$8, %rsp
	.cfi_remember_state
	.cfi_def_cfa_offset 56
	movq	%r12, %rax
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
	.p2align 4,,10
	.p2align 3
.L8:
	.cfi_restore_state
	leaq	-1(%rbp), %rax
	addq	%r12, %r12
	cmpq	%rax, %r13
	jg	.L17
	jmp	.L1
	.p2align 4,,10
	.p2align 3
.L7:
	movq	%r14, %rsi
	movq	%rbx, %rdi
	subq	%rbp, %rsi
	call	strnlen@PLT
	andl	$7, %eax
	subq	%rax, %r12
	leaq	-1(%rbp), %rax
	cmpq	%rax, %r13
	jg	.L17
	jmp	.L1
	.cfi_endproc
.LFE0:
	.size	interp, .-interp
