	.section	.rodata.cst16,"aM",@progbits,16
	.p2align 4
.LC0:
	.long	0
	.long	-2147483648
	.long	0
	.long	0
	.text
	.p2align 4
	.globl	dabs
	.type	dabs, @function
dabs:
pxor	%xmm1, %xmm1
	comisd	%xmm0, %xmm1
	jbe	.L2
	xorpd	.LC0(%rip), %xmm0
.L2:
	ret
	.size	dabs, .-dabs
