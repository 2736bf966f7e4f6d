	.text
	.p2align 4
	.globl	isort
	.type	isort, @function
isort:
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
	subq	$24, %rsp
	.cfi_def_cfa_offset 80
	movl	%esi, 12(%rsp)
	movl	$1, 8(%rsp)
	cmpl	$1, %esi
	jle	.L1
	movq	%rdi, %r12
	movq	%rdx, %r13
	leaq	4(%rdi), %r14
	.p2align 4,,10
	.p2align 3
.L6:
	movl	(%r14), %ebp
	movq	%r14, %r15
	jmp	.L3
	.p2align 4,,10
	.p2align 3
.L5:
	movl	-4(%r15), %eax
	movl	%eax, (%r15)
	leaq	-4(%rbx), %r15
	cmpq	%r15, %r12
	je	.L8
.L3:
	movl	-4(%r15), %edi
	movq	%r15, %rbx
	movl	%ebp, %esi
	call	*%r13
	testl	%eax, %eax
	jg	.L5
.L4:
	addl	$1, 8(%rsp)
	addq	$4, %r14
	movl	8(%rsp), %eax
	movl	%ebp, (%rbx)
	cmpl	%eax, 12(%rsp)
	jne	.L6
.L1:
	addq	$24, %rsp
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
	.p2align 4,,10
	.p2align 3
.L8:
	.cfi_restore_state
	movq	%r12, %rbx
	jmp	.L4
	.cfi_endproc
.LFE0:
	.size	isort, .-isort
