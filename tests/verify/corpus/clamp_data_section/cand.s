	.text
	.p2align 4
	.globl	clamp
	.type	clamp, @function
clamp:
movl	%edi, cache(%rip)
	cmpl	%esi, %edi
	cmovl	%esi, %edi
	cmpl	%edx, %edi
	cmovg	%edx, %edi
	movl	%edi, %eax
	ret
	.data
cache:
	.long	0
	.size	clamp, .-clamp
