	.text
	.p2align 4
	.globl	dmax
	.type	dmax, @function
dmax:
movq	%xmm0, %rax
	movq	%rax, %mm0
	maxsd	%xmm1, %xmm0
	ret
	.size	dmax, .-dmax
