	.text
	.p2align 4
	.globl	clamp
	.type	clamp, @function
clamp:
cmpl	%esi, %edi
	cmovb	%esi, %edi
	cmpl	%edx, %edi
	cmova	%edx, %edi
	movl	%edi, %eax
	ret
	.size	clamp, .-clamp
