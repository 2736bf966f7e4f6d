	.text
	.p2align 4
	.globl	fill
	.type	fill, @function
fill:
testl	%esi, %esi
	jle	.L3
	movl	%edx, %eax
	movl	%esi, %ecx
	rep stosl
.L3:
	ret
	.size	fill, .-fill
