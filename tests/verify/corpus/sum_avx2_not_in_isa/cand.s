	.text
	.p2align 4
	.globl	sum
	.type	sum, @function
sum:
vpxor	%ymm0, %ymm0, %ymm0
	xorl	%eax, %eax
	vzeroupper
	ret
	.size	sum, .-sum
