	.text
	.p2align 4
	.globl	scaled
	.type	scaled, @function
scaled:
movl	scale(%rip), %eax
	imull	%edi, %eax
	movl	%eax, scale(%rip)
	ret
	.size	scaled, .-scaled
