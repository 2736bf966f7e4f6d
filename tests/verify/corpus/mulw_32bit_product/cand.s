	.text
	.p2align 4
	.globl	mulw
	.type	mulw, @function
mulw:
movl	%edi, %eax
	imull	%esi, %eax
	ret
	.size	mulw, .-mulw
