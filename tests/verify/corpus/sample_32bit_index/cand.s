	.text
	.p2align 4
	.globl	sample
	.type	sample, @function
sample:
xorl	%ecx, %ecx
	testl	%edx, %edx
	jle	.L1
	movq	%rsi, %rax
	movl	%edx, %r8d
	movslq	%edx, %rsi
	cqto
	idivq	%rsi
	xorl	%r9d, %r9d
.L3:
	movl	%r9d, %r10d
	imull	%eax, %r10d
	movslq	%r10d, %r10
	movslq	(%rdi,%r10,4), %rsi
	addq	%rsi, %rcx
	addl	$1, %r9d
	cmpl	%r9d, %r8d
	jne	.L3
.L1:
	movq	%rcx, %rax
	ret
	.size	sample, .-sample
