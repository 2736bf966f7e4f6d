	.text
	.p2align 4
	.globl	helper
	.type	helper, @function
helper:
leal	1(%rdi,%rdi,2), %esi
	movl	%esi, %eax
	ret
	.size	helper, .-helper
