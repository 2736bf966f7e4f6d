	.text
	.p2align 4
	.globl	dsum
	.type	dsum, @function
dsum:
subq	$16, %rsp
	pxor	%xmm0, %xmm0
	movaps	%xmm0, (%rsp)
	xorl	%eax, %eax
	testl	%esi, %esi
	jle	.L3
.L2:
	addsd	(%rdi,%rax,8), %xmm0
	addq	$1, %rax
	cmpl	%eax, %esi
	jg	.L2
.L3:
	addq	$16, %rsp
	ret
	.size	dsum, .-dsum
