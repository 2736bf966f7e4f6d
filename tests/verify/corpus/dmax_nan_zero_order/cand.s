	.text
	.p2align 4
	.globl	dmax
	.type	dmax, @function
dmax:
maxsd	%xmm0, %xmm1
	movapd	%xmm1, %xmm0
	ret
	.size	dmax, .-dmax
