	.text
	.p2align 4
	.globl	dmax
	.type	dmax, @function
dmax:
comisd	%xmm1, %xmm0
	ja	.L2
	movapd	%xmm1, %xmm0
.L2:
	ret
	.size	dmax, .-dmax
