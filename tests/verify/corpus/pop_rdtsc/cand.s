	.text
	.p2align 4
	.globl	pop
	.type	pop, @function
pop:
rdtsc
	ret
	.size	pop, .-pop
