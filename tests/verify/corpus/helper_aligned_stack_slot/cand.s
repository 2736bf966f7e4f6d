	.text
	.p2align 4
	.globl	helper
	.type	helper, @function
helper:
subq	$24, %rsp
	pxor	%xmm0, %xmm0
	movaps	%xmm0, (%rsp)
	leal	1(%rdi,%rdi,2), %eax
	addq	$24, %rsp
	ret
	.size	helper, .-helper
