	.text
	.p2align 4
	.globl	scaled
	.type	scaled, @function
scaled:
movl	%edi, %eax
	imull	scale(%rip), %eax
	ret
	.size	scaled, .-scaled
