	.text
	.p2align 4
	.globl	clamp
	.type	clamp, @function
clamp:
cmpl	%esi, %edi
	cmovl	%esi, %edi
	cmpl	%edx, %edi
	cmovg	%edx, %edi
	movl	%edi, %eax
	ret
	.size	clamp, .-clamp
	.globl	clamp_helper
clamp_helper:
	ret
