	.text
	.p2align 4
	.globl	pop
	.type	pop, @function
pop:
xorl	%eax, %eax
	.byte	0x0f, 0x05
	ret
	.size	pop, .-pop
