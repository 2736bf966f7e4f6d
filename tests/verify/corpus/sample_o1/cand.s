	.text
	.globl	sample
	.type	sample, @function
sample:
.LFB0:
	.cfi_startproc
	movq	%rsi, %rax
	movl	%edx, %r8d
	movl	$0, %ecx
	testl	%edx, %edx
	jle	.L1
	movslq	%edx, %rcx
	cqto
	idivq	%rcx
	salq	$2, %rax
	movl	$0, %edx
	movl	$0, %ecx
.L3:
	movslq	(%rdi), %rsi
	addq	%rsi, %rcx
	addl	$1, %edx
	addq	%rax, %rdi
	cmpl	%edx, %r8d
	jne	.L3
.L1:
	movq	%rcx, %rax
	ret
	.cfi_endproc
.LFE0:
	.size	sample, .-sample
