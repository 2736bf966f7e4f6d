	.text
	.globl	fold
	.type	fold, @function
fold:
.LFB0:
	.cfi_startproc
	pushq	%r14
	.cfi_def_cfa_offset 16
	.cfi_offset 14, -16
	pushq	%r13
	.cfi_def_cfa_offset 24
	.cfi_offset 13, -24
	pushq	%r12
	.cfi_def_cfa_offset 32
	.cfi_offset 12, -32
	pushq	%rbp
	.cfi_def_cfa_offset 40
	.cfi_offset 6, -40
	pushq	%rbx
	.cfi_def_cfa_offset 48
	.cfi_offset 3, -48
	testl	%edx, %edx
	jle	.L4
	movq	%rdi, %r13
	movq	%rsi, %r14
	movslq	%edx, %r12
	movl	$0, %ebx
	movl	$0, %ebp
.L3:
	movl	(%r14,%rbx,4), %edi
	call	*%r13
	xorl	%ebx, %eax
	addl	%eax, %ebp
	addq	$1, %rbx
	cmpq	%r12, %rbx
	jne	.L3
.L1:
	movl	%ebp, %eax
	popq	%rbx
	.cfi_remember_state
	.cfi_def_cfa_offset 40
	popq	%rbp
	.cfi_def_cfa_offset 32
	popq	%r12
	.cfi_def_cfa_offset 24
	popq	%r13
	.cfi_def_cfa_offset 16
	popq	%r14
	.cfi_def_cfa_offset 8
	ret
.L4:
	.cfi_restore_state
	movl	$0, %ebp
	jmp	.L1
	.cfi_endproc
.LFE0:
	.size	fold, .-fold
