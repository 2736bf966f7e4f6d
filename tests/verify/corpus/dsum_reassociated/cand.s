	.text
	.p2align 4
	.globl	dsum
	.type	dsum, @function
dsum:
pxor	%xmm0, %xmm0
	pxor	%xmm1, %xmm1
	xorl	%eax, %eax
	testl	%esi, %esi
	jle	.L3
.L2:
	addsd	(%rdi,%rax,8), %xmm0
	addq	$1, %rax
	cmpl	%eax, %esi
	jle	.L3
	addsd	(%rdi,%rax,8), %xmm1
	addq	$1, %rax
	cmpl	%eax, %esi
	jg	.L2
.L3:
	addsd	%xmm1, %xmm0
	ret
	.size	dsum, .-dsum
