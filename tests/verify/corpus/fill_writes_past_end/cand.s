	.text
	.p2align 4
	.globl	fill
	.type	fill, @function
fill:
testl	%esi, %esi
	jle	.L3
	xorl	%eax, %eax
.L2:
	movl	%edx, (%rdi,%rax,4)
	addq	$1, %rax
	cmpl	%eax, %esi
	jge	.L2
.L3:
	ret
	.size	fill, .-fill
