	.text
	.p2align 4
	.globl	pop
	.type	pop, @function
pop:
popcntl	%edi, %eax
	ret
	.size	pop, .-pop
