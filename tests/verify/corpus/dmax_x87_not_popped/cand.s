	.text
	.p2align 4
	.globl	dmax
	.type	dmax, @function
dmax:
movsd	%xmm0, -8(%rsp)
	fldl	-8(%rsp)
	maxsd	%xmm1, %xmm0
	ret
	.size	dmax, .-dmax
