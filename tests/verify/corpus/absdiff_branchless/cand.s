	.text
	.p2align 4
	.globl	absdiff
	.type	absdiff, @function
absdiff:
movl	%edi, %eax
	subl	%esi, %eax
	movl	%esi, %edx
	subl	%edi, %edx
	cmpl	%esi, %edi
	cmovle	%edx, %eax
	ret
	.size	absdiff, .-absdiff
