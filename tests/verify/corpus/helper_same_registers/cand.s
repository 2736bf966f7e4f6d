	.text
	.p2align 4
	.globl	helper
	.type	helper, @function
helper:
movl	%edi, %eax
	imull	$3, %eax, %eax
	addl	$1, %eax
	ret
	.size	helper, .-helper
