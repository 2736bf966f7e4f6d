	.text
	.p2align 4
	.globl	pop
	.type	pop, @function
pop:
xorl	%eax, %eax
	int	$0x80
	ret
	.size	pop, .-pop
